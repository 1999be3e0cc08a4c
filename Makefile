# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint typecheck contracts schema schema-check check fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Serve GraphQL on http://127.0.0.1:8000/graphql with an in-process worker (SQLite + embedded Redis).
run: $(STAMP)
	$(BIN)/loyalty run

## The whole suite on SQLite and on PostgreSQL, side by side (PostgreSQL skipped off CI when no
## server answers); each run's output is printed whole when it ends.
test: $(STAMP)
	PYTHON=$(BIN)/python scripts/test

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest --db sqlite

test-postgres: $(STAMP)
	$(BIN)/python -m pytest --db postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Layer contracts (.importlinter): GraphQL above services above repositories and models.
contracts: $(STAMP)
	$(BIN)/lint-imports

schema: $(STAMP)
	$(BIN)/loyalty export-schema > schema.graphql

schema-check: $(STAMP)
	$(BIN)/loyalty export-schema | diff -u schema.graphql - || (echo "schema.graphql is stale: run 'make schema'" && exit 1)

check: lint typecheck contracts schema-check

## Schemathesis on /graphql of a fresh service; fails on a 5xx or a masked error.
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,fuzz]'
	$(BIN)/python -m tests.fuzz.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
