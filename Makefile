# The two set-up commands of the README: `make run` and `make test`.
# Both create the virtual environment (.venv) themselves on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean bench plots faults soak fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/seom-desktop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The benchmarks (bench/, results in bench/results/, figures in docs/bench/). Not part of
# `make test`: timings are never asserted, and they need a quiet machine to mean anything.
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Every benchmark in one go (under 15 minutes on a quiet 2-core machine), then the PNGs in
# docs/bench/. Other sizes: make bench BENCH_ARGS="--skus 50000 --skip qoh_sync_miva"
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run_all $(BENCH_ARGS)

# Draw docs/bench/*.png again from the JSON in bench/results/ (nothing is re-run).
plots: $(BENCH_STAMP)
	$(BIN)/python -m bench.plots

# The fault suite on SQLite and PostgreSQL; fails on a QOH mismatch or a change applied twice.
faults: $(STAMP)
	$(BIN)/python -m bench.faults --postgres

# The soak: 30 minutes of mixed load (SOAK_MINUTES=5 for a shorter one); memory and backlog.
SOAK_MINUTES ?= 30
soak: $(STAMP)
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)

# Every cart answer parser against hostile answers, 1,000 examples per platform.
fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz --examples 1000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
