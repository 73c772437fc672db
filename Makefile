# reportbot: `make run` starts the app on the bundled sample report; `make test` runs the suite.
# Both create .venv with the pinned dependencies (uv.lock) on first use; no API key needed.
# `run` installs only what running needs; `test` adds the dev group and, when it can (root and
# apt-get), Debian's chromium for the browser tests, which are skipped with a note otherwise.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# INSTALL_BROWSER=0 never tries apt-get; BROWSER_TIMEOUT bounds the attempt (seconds).
INSTALL_BROWSER ?= 1
BROWSER_TIMEOUT ?= 300
export UV_LINK_MODE := copy
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint format install install-dev browser bench-coldstart clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# What running needs: no dev group (--inexact keeps dev tools a `make test` installed), and
# bytecode only for the modules reportbot runs (bot/frontends/warmup.py), not every installed file.
$(VENV)/.run-deps: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --no-dev --inexact
	$(BIN)/python -m bot.frontends.warmup
	@touch $@

$(VENV)/.dev-deps: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@ $(VENV)/.run-deps

install: $(VENV)/.run-deps

install-dev: $(VENV)/.dev-deps

run: install
	$(BIN)/reportbot serve

# Debian's chromium + chromium-driver for tests/test_browser.py, when this machine allows it.
# Never fails: without them the browser tests are skipped (REPORTBOT_REQUIRE_BROWSER=1 fails).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$(INSTALL_BROWSER)" != 1 ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing chromium + chromium-driver for the browser tests (apt-get, at most $(BROWSER_TIMEOUT) s)"; \
		timeout $(BROWSER_TIMEOUT) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver' >/dev/null 2>&1 \
			|| echo "make: could not install chromium; the browser tests will be skipped"; \
	fi

lint: install-dev
	$(BIN)/ruff check bot index tests
	$(BIN)/ruff format --check bot index tests
	$(BIN)/mypy

test: install-dev lint browser
	$(BIN)/pytest

# Whole-process cold start of `reportbot --help` and `reportbot ask` (docs/benchmarks.md).
bench-coldstart: install
	nice $(BIN)/python tests/benchmarks/bench_coldstart.py

format: install-dev
	$(BIN)/ruff format bot index tests
	$(BIN)/ruff check --fix bot index tests

clean:
	rm -rf .venv .uv .pytest_cache .mypy_cache .ruff_cache
