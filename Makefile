# The README's two commands (run, test). Both install what they need first (scripts/setup.sh).
.PHONY: run test serve install bench

run:     ## the desktop app
	scripts/run.sh

test:    ## everything CI checks
	scripts/test.sh

serve:   ## the headless receiver (`hooklab serve`); ARGS="--tunnel" passes flags
	@scripts/serve.sh $(ARGS)

install: ## puts `hooklab` on PATH (~/.cargo/bin)
	scripts/setup.sh
	cargo install --locked --path crates/hooklab-cli

bench:
	cargo run --release --locked -p hooklab-cli -- bench --events 100000 --report-every 20000
