# reportbot: `make run` starts the app on the bundled sample report; `make test` runs the suite.
# Both create .venv with the pinned dependencies (uv.lock) on first use; no API key needed.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_LINK_MODE := copy
export UV_PROJECT_ENVIRONMENT := $(VENV)
export REPORTBOT_DATA_DIR ?= data

.PHONY: run test lint format install bench clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/reportbot: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: $(BIN)/reportbot

run: install
	$(BIN)/reportbot serve

lint: install
	$(BIN)/ruff check bot index tests
	$(BIN)/ruff format --check bot index tests
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest

format: install
	$(BIN)/ruff format bot index tests
	$(BIN)/ruff check --fix bot index tests

clean:
	rm -rf .venv .uv .pytest_cache .mypy_cache .ruff_cache
