# The README's two commands (run, test). Both install what they need first (scripts/setup.sh).
.PHONY: run test serve install bench bench-app

# Where cargo builds (CARGO_TARGET_DIR when set).
TARGET ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

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

bench-app: ## the desktop window's numbers (launch, frames under load, memory): debug build, Xvfb
	cd ui && npm run --silent build
	cargo build --locked -p hooklab-app -p hooklab-cli
	PATH="$$HOME/.cargo/bin:$$PATH" HOOKLAB_APP="$(TARGET)/debug/hooklab-app" HOOKLAB_CLI="$(TARGET)/debug/hooklab" \
	  xvfb-run -a -s "-screen 0 1280x800x24" node src-tauri/e2e/bench/window.mjs
