# The README's two commands. Both install what they need first (scripts/setup.sh).
.PHONY: run test bench

run:
	scripts/run.sh $(ARGS)

test:
	scripts/test.sh

bench:
	cargo run --release --locked -p hooklab-cli -- bench --events 100000 --report-every 20000
