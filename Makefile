.PHONY: demo test bench

demo:  ## set everything up and run the app with a demo study
	scripts/demo.sh

test:  ## run the whole test suite
	scripts/test.sh

bench:  ## print the benchmark figures
	.venv/bin/python benchmarks/bench_scoring.py
