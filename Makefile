# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv

.PHONY: run test test-fast test-faults bench lint format audit

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.requirements: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $(VENV)/.requirements $@

## Install, migrate, seed, and serve the portal and its task cluster on $${HOST:-127.0.0.1}:$${PORT:-3040}.
run: $(VENV)/.requirements
	scripts/run.sh

## The whole suite (lint, then pytest on a throwaway PostgreSQL and Chromium).
test: $(VENV)/.requirements-dev lint
	scripts/test.sh $(ARGS)

## What a developer runs on every change: no browser, no slow tier (door parity, fuzzing, servers).
test-fast: $(VENV)/.requirements-dev lint
	FAST=1 scripts/test.sh $(ARGS)

## The fault suite alone (tests/faults/: PostgreSQL restarted, workers killed, statement timeouts).
test-faults: $(VENV)/.requirements-dev
	FAULTS_ONLY=1 scripts/test.sh $(ARGS)

## Performance benchmarks on a throwaway PostgreSQL (not part of make test).
bench: $(VENV)/.requirements-dev
	scripts/bench.sh $(ARGS)

## ruff, then mypy with django-stubs (strict for services, selectors and drec/; see pyproject.toml).
lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Known vulnerabilities in the pinned requirements (pip-audit; needs the PyPI or OSV advisory service).
audit: | $(VENV)/bin/python
	$(VENV)/bin/pip install -q pip-audit
	$(VENV)/bin/pip-audit -r requirements.txt -r requirements-dev.txt --progress-spinner off
