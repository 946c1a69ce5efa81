# Everyday commands for Joined Up. The README's two set-up commands are `make run` and
# `make test`; both work on a fresh machine with only Python 3.11+, Node.js, git and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_CHILDREN ?= 3000
DEMO_SEED ?= 2026
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test test-postgres lint format frontend chromium demo-area clean

## run: install, build the front end, load the demo area and serve on http://127.0.0.1:8000
run: $(VENV)/.installed-app frontend demo-area
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## test: install what the tests need and run the whole suite (unit, integration, browser)
test: $(VENV)/.installed-test frontend chromium
	$(BIN)/python -m pytest

## test-postgres: the whole suite against PostgreSQL (DATABASE_URL, default: local server)
test-postgres: $(VENV)/.installed-test frontend chromium
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python scripts/check-database.py
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest

## lint: ruff (lint and format check) and mypy
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy joinedup

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Joined Up needs Python 3.11 or newer; set PYTHON=python3.x" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $@ $(VENV)/.installed-app

node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || { echo "Joined Up needs Node.js and npm to build its front end" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

FRONTEND_SOURCES := $(wildcard joinedup/frontend/*.scss) scripts/build-frontend.mjs
joinedup/static/build/joinedup.css: node_modules/.package-lock.json $(FRONTEND_SOURCES)
	npm run --silent build

frontend: joinedup/static/build/joinedup.css

chromium:
	@sh scripts/ensure-chromium.sh

## demo-area: create the database if needed and load the demo area once
demo-area: $(VENV)/.installed-app
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo --seed $(DEMO_SEED) --children $(DEMO_CHILDREN) --with-feeds --if-empty

clean:
	rm -rf $(VENV) node_modules joinedup/static/build var screenshots db.sqlite3
