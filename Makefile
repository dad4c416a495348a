.PHONY: demo test test-fast bench loadtest

demo:  ## set everything up and run the app with a demo study
	scripts/demo.sh

test:  ## run the whole test suite
	scripts/test.sh

test-fast:  ## the daily run: no e2e, no real services, no slow analyses; every core (xdist), the test databases kept
	TEST_DB_REUSE=1 .venv/bin/python -m pytest -p no:cacheprovider -n auto --reuse-db -m "not e2e and not services and not slow" $(ARGS)

bench:  ## print the benchmark figures (see benchmarks/)
	.venv/bin/python benchmarks/bench_scoring.py --n 100000
	.venv/bin/python benchmarks/bench_rebuild.py --sizes 8453 100000 1000000 --table
	.venv/bin/python benchmarks/bench_trajectories.py --n 8453 100000 --clara-n 1000000
	.venv/bin/python benchmarks/bench_export.py

loadtest:  ## 2,000 students against gunicorn + PostgreSQL on 127.0.0.1
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loadtest} .venv/bin/python benchmarks/loadtest.py --students 2000 --concurrency 200
