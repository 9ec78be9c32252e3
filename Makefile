# customerbase: `make serve` runs the service, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.DEFAULT_GOAL := help

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: install
install: $(VENV)/.installed-dev ## Create the virtual environment with the development tools

.PHONY: serve
serve: $(VENV)/.installed ## Migrate, create a first organization (printing its keys) and serve on 127.0.0.1:8000
	$(BIN)/customerbase init
	$(BIN)/customerbase serve $(SERVE_ARGS)

# The coverage gate; `make test COV=` runs without it (for a subset: PYTEST_ARGS="-k list").
COV ?= --cov --cov-fail-under=90

.PHONY: test
test: $(VENV)/.installed-dev ## Run the whole test suite (SQLite and PostgreSQL) with the coverage gate
	$(BIN)/pytest $(COV) $(PYTEST_ARGS)

# The benchmark needs wrk and pgbench and a PostgreSQL it may create a database on
# (BENCH_POSTGRES, default postgres@127.0.0.1:5432). On Debian, as root, it installs them
# (apt-get install wrk postgresql-client) when they are missing.
BENCH_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_TOOLS = @command -v wrk >/dev/null && command -v pgbench >/dev/null || { \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-client >/dev/null; \
	else echo "make bench needs wrk and pgbench: apt-get install wrk postgresql-client"; exit 1; fi; }

.PHONY: bench
bench: $(VENV)/.installed-dev ## The benchmark beside its references (1M customers on PostgreSQL; about 15 min)
	$(BENCH_TOOLS)
	$(BIN)/python bench/run.py --mode full --postgres $(BENCH_POSTGRES) $(BENCH_ARGS)
	$(BIN)/python bench/webhooks.py --postgres $(BENCH_POSTGRES)

.PHONY: bench-quick
bench-quick: $(VENV)/.installed-dev ## The same, smaller and shorter (100k customers; about 3 min)
	$(BENCH_TOOLS)
	$(BIN)/python bench/run.py --mode quick --postgres $(BENCH_POSTGRES) $(BENCH_ARGS)

.PHONY: bench-webhooks
bench-webhooks: $(VENV)/.installed-dev ## Webhook deliveries/s from one worker and commit-to-first-attempt p99 (about 1 min)
	$(BIN)/python bench/webhooks.py --postgres $(BENCH_POSTGRES) $(BENCH_ARGS)

.PHONY: lint
lint: $(VENV)/.installed-dev ## ruff (check mode) and mypy (strict on src/)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

.PHONY: format
format: $(VENV)/.installed-dev ## Format and fix what ruff can
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

.PHONY: clean
clean: ## Remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
