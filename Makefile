# qgameday — every target bootstraps .venv from pyproject.toml when needed.
# Usage: make gameday SCENARIO=token-expiry | make test | make check | make bench

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qgameday-installed
SCENARIO ?= token-expiry
ARGS ?=
PYTEST_ARGS ?=
# make test spreads the suite over pytest-xdist workers: many tests wait on real time
# (scaled game days, SUT processes, the IBM client's backoff), so three overlap well on
# 2 cores (fresh clone: 442-462 s; two took 557-629 s, at the 10-minute budget).
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3
TARGET ?=
USERS ?= 10
RUN_TIME ?= 30s
LOCUSTFILE ?= reference


.PHONY: help venv gameday test test-fast test-catalogue fuzz check format format-check lint typecheck bench clean load docs chromium readme catalogue

help:
	@echo "make gameday SCENARIO=<name> [ARGS='--time-scale 120 --seed 3']  run scenarios/<name>.yaml"
	@echo "make load TARGET=<url> [USERS=10 RUN_TIME=30s LOCUSTFILE=reference ARGS=...]"
	@echo "                Locust load test (no TARGET: an embedded reference orchestrator)"
	@echo "make test       run the test suite (unit + integration)"
	@echo "make test-fast  unit tests only"
	@echo "make test-catalogue  every scenario in scenarios/ played to its designed verdict"
	@echo "make fuzz       long fuzzing (native and IBM APIs, scenario files, proxy API) -> reports/fuzz.json"
	@echo "make check      format check + lint + mypy + tests"
	@echo "make bench      benchmarks -> reports/bench.json"
	@echo "make format     apply ruff formatting and import sorting"
	@echo "make docs       regenerate docs/journal.md (the journal's record types)"
	@echo "make chromium   install Debian's chromium (as root) for the report.html render test"
	@echo "make readme     play token-expiry again and regenerate README's tour from that run"
	@echo "make catalogue  play every scenario [NAMES='a b'] and regenerate README's catalogue"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# make turns any failing recipe into its own exit status 2, so a failed gate (1), an
# invalid or aborted run (2) and a configuration error (3) would all read 2: say the
# harness's own code. CI wants `gameday run` itself (README, "Exit codes").
gameday: $(STAMP)
	@echo "$(BIN)/gameday run scenarios/$(SCENARIO).yaml $(ARGS)"
	@$(BIN)/gameday run scenarios/$(SCENARIO).yaml $(ARGS); code=$$?; \
	if [ $$code -ne 0 ]; then \
		echo "gameday exited with code $$code (make reports any failure as 2; in CI run" \
			"'$(BIN)/gameday run scenarios/$(SCENARIO).yaml' to get the code itself)" >&2; \
	fi; exit $$code

load: $(STAMP)
	$(BIN)/gameday load $(if $(TARGET),--target $(TARGET),--embedded reference) \
		--locustfile $(LOCUSTFILE) --users $(USERS) --run-time $(RUN_TIME) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The whole scenario catalogue, each game day to its designed verdict (.ci/run runs it
# after `make test`). Its game days mostly wait (scaled clocks, SUT processes), so
# CATALOGUE_WORKERS of them overlap on 2 cores; each judges what the orchestrator did
# whatever the machine's lag.
CATALOGUE_WORKERS ?= 4
test-catalogue: $(STAMP)
	QG_CATALOGUE=all $(BIN)/python -m pytest -n $(CATALOGUE_WORKERS) \
		tests/integration/test_catalogue.py $(PYTEST_ARGS)

# The fuzz tests also run in `make test`, on a short budget (well under a minute each);
# QG_FUZZ=long multiplies it (a few minutes on 2 cores). Goal: every count but the
# tries 0 in reports/fuzz.json (server errors, tracebacks, hangs, leftover processes).
fuzz: $(STAMP)
	QG_FUZZ=long $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --select I --fix .

format-check: $(STAMP)
	$(BIN)/ruff format --check .

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy docs/tour.py

check: format-check lint typecheck test

# the report.html render test needs a headless browser; without one it is skipped (with
# this target's name in the reason). Root on Debian/Ubuntu installs it; anyone else is
# told how. .ci/run calls it.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: installing Debian's package (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "chromium: not installed; run 'sudo apt-get install chromium' (Debian/Ubuntu)" \
			"for the report.html render test (skipped without it)"; \
	fi

# README's "A tour of a report" quotes a real run: record one, re-render the section
# and its plot (docs/tour.py; a test checks the README against the recorded journal)
readme: $(STAMP)
	$(BIN)/python docs/tour.py record

# every scenario played (two at a time, ~7 min on 2 cores), README's catalogue rewritten;
# NAMES='a b' plays only those
catalogue: $(STAMP)
	$(BIN)/python docs/catalogue.py record $(NAMES)

docs: $(STAMP)
	$(BIN)/python -m harness.journal.doc > docs/journal.md

bench: $(STAMP)
	$(BIN)/python -m benchmarks --out reports/bench.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
