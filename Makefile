# scholarcrawl: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
# pytest-xdist workers for `make test`: one more than the cores, as the end-to-end tests spend
# much of their time waiting on subprocesses and servers; PYTEST_WORKERS=0 runs in one process
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# worksteal: an idle worker takes tests queued on a busy one; --durations: the slowest tests, so
# the suite stays well under 10 minutes
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist worksteal --durations=20
# the port of `make scrapyd` and `make scrapyd-stop`
SCRAPYD_PORT ?= 6800

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: system-deps
system-deps: ## install the Debian packages the tests need (PostgreSQL server, Chromium), when missing
	@missing=""; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run as root: apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || $(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## create the virtualenv and install scholarcrawl with its dependencies

.PHONY: lint
lint: $(STAMP) ## ruff (lint and format check) and mypy
	$(BIN)/ruff check scholarcrawl tests bench
	$(BIN)/ruff format --check scholarcrawl tests bench
	$(BIN)/mypy

.PHONY: test
test: system-deps $(STAMP) lint ## set everything up, lint, and run the whole suite on PYTEST_WORKERS workers (SQLite, a real PostgreSQL, scrapyd, Chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: demo
demo: $(STAMP) ## replay server + crawl of three sample profiles and their open-access PDFs into SQLite, then a summary
	$(BIN)/scholarcrawl demo --database-file demo.sqlite3

# where `make bench` and `make bench-quick` write their figures (bench/README.md)
BENCH_OUTPUT ?= bench/results.json

.PHONY: bench
bench: $(STAMP) ## every benchmark against local replay servers, as ratios to their floors (about 14 min), into BENCH_OUTPUT (bench/results.json), then the table
	$(BIN)/python -m bench.matching --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.resolution --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.parser --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.economy --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.crawl --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.scale --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.report --results $(BENCH_OUTPUT)

.PHONY: bench-quick
bench-quick: $(STAMP) ## the same benchmarks at small sizes, each run once (about 2 min): a check, not figures to quote
	$(BIN)/python -m bench.matching --output $(BENCH_OUTPUT)
	$(BIN)/python -m bench.resolution --output $(BENCH_OUTPUT) --profiles 4 --publications 60 --seed 7
	$(BIN)/python -m bench.parser --output $(BENCH_OUTPUT) --repeat 1 --seconds 0.5
	$(BIN)/python -m bench.economy --output $(BENCH_OUTPUT) --api-profiles 3 --api-publications 50 --refresh-profiles 5
	$(BIN)/python -m bench.crawl --output $(BENCH_OUTPUT) --repeat 1 --profiles 10 --resolution-profiles 2
	$(BIN)/python -m bench.scale --output $(BENCH_OUTPUT) --repeat 1 --sizes 1000,10000 --crawl-sizes 3000,15000 --batch-profiles 2
	$(BIN)/python -m bench.report --results $(BENCH_OUTPUT)

# the soak's length in minutes and its database (sqlite or postgresql)
SOAK_MINUTES ?= 30
SOAK_BACKEND ?= sqlite

.PHONY: soak
soak: $(STAMP) ## crawl 2000 generated profiles round after round for SOAK_MINUTES (30) against a replay with random faults, then count rows lost and doubled against a clean crawl, into BENCH_OUTPUT
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES) --backend $(SOAK_BACKEND) --output $(BENCH_OUTPUT)

.PHONY: replay
replay: $(STAMP) ## serve the demo's profiles on http://127.0.0.1:8000 until Ctrl-C
	$(BIN)/scholarcrawl replay --port 8000

.PHONY: scrapyd
scrapyd: $(STAMP) ## start scrapyd on 127.0.0.1:SCRAPYD_PORT (6800) from a temp dir, deploy the project, say how to stop it
	$(BIN)/python -m scholarcrawl.localscrapyd start --port $(SCRAPYD_PORT)

.PHONY: scrapyd-stop
scrapyd-stop: ## stop the scrapyd that `make scrapyd` started on SCRAPYD_PORT
	$(BIN)/python -m scholarcrawl.localscrapyd stop --port $(SCRAPYD_PORT)

.PHONY: format
format: $(STAMP) ## format the code with ruff
	$(BIN)/ruff format scholarcrawl tests bench
	$(BIN)/ruff check --fix scholarcrawl tests bench

.PHONY: clean
clean: ## remove the virtualenv, caches and demo database
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info demo.sqlite3*
