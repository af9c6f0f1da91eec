# Every target builds what it needs; `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install ralph superset demo test test-fast test-install lint format sandbox-up sandbox-down bench mutation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: requirements/dev.in platform-plugin/pyproject.toml pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.in
	$(BIN)/pip install -q -e platform-plugin
	touch $@

install: $(VENV)/.installed ## dev virtualenv (.venv): Tutor, the plugin, the in-platform app, test tools
	@# The plugin is installed as a wheel (not editable) so the openedx build context
	@# carries the in-platform app's files exactly as a released wheel does.
	$(BIN)/pip install -q --no-deps --force-reinstall .

ralph: install ## Ralph's own virtualenv (.venv-ralph: it pins clickhouse-connect < 0.8); made once
	$(BIN)/python -c "from sandbox.ralph.venv import ensure_venv; ensure_venv()"

superset: install ## Superset's own virtualenv (.venv-superset, pins in requirements/superset.txt); rebuilt when the pins change
	$(BIN)/python -m sandbox.superset.venv

demo: install ralph ## the main job on the embedded default (sandbox LMS + embedded ClickHouse)
	$(BIN)/python -m sandbox.demo

test: install lint ralph superset ## every test tier that runs on this machine
	$(BIN)/python -m pytest -q tests

test-fast: install ralph ## fast tier only (no throw-away virtualenvs, no Superset)
	$(BIN)/python -m pytest -q -m "not install and not superset" tests

test-install: install ## install tier only: throw-away virtualenvs, the plugin beside Tutor 20 and the latest
	$(BIN)/python -m pytest -q -m install tests/install

lint: install ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

sandbox-up: install ## start the embedded ClickHouse (HTTP on 127.0.0.1:$${ASPECTS_SANDBOX_CLICKHOUSE_PORT:-8123}) with the schema applied, and Ralph (xAPI LRS; its virtualenv .venv-ralph is made on first use)
	$(BIN)/python -m sandbox.clickhouse_server up
	$(BIN)/python -m sandbox.ralph up

sandbox-down: install ## stop Ralph and the embedded ClickHouse
	$(BIN)/python -m sandbox.ralph down
	$(BIN)/python -m sandbox.clickhouse_server down

bench: install ## run every benchmark and print figures and ratios
	$(BIN)/python -m benchmarks

mutation: install ## mutation testing (cosmic-ray) of the dump, sinks, backend, runner, commands and settings merge; prints the share killed
	$(BIN)/pip install -q -r requirements/mutation.in
	$(BIN)/python -m tests.mutation.run $(MUTATION_ARGS)

clean: ## remove the virtualenv and sandbox data
	rm -rf $(VENV) .venv-ralph .venv-superset .sandbox
