# Switchboard — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | sha256sum | cut -c1-12)
export SWITCHBOARD_DATA ?= var

.PHONY: demo test lint typecheck unit e2e bench system-deps services clean lock

# The venv is installed from the lock only: exact versions, every file checked against its hash,
# no resolver (--no-deps), and the project itself built with the locked setuptools (no isolation).
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -qqq --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@rm -f $(VENV)/.installed-*; touch $@

## lock: upgrade every pin on purpose (newest versions pyproject.toml's ranges allow), with hashes;
## run `make test`, then commit requirements.lock. `make lock UPGRADE=--upgrade-package=NAME` for one.
UPGRADE ?= --upgrade
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements.in --extra test --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command 'make lock' $(UPGRADE) -o $(LOCK)

## demo: create the venv, install, generate dev certs, migrate, load demo data, serve the portal
demo: $(STAMP)
	$(BIN)/switchboard demo

## system-deps: Debian packages the tests drive for real: Chromium (Playwright), Kamailio 5.6 and
## SIPp (the toll-free switch integration test), Node.js and npm (the OpenID provider of the enterprise
## sign-in test; a node/npm already on PATH counts, whatever installed it)
SYSTEM_PACKAGES := chromium kamailio kamailio-utils-modules kamailio-extra-modules kamailio-json-modules sip-tester
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v node >/dev/null 2>&1 || dpkg -s nodejs >/dev/null 2>&1 || echo nodejs; \
	  command -v npm >/dev/null 2>&1 || dpkg -s npm >/dev/null 2>&1 || echo npm); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## services: make sure the local PostgreSQL and Redis the split-mode tests use are answering
services:
	@bash .ci/services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## test: install what tests need and run the whole suite (lint, types, unit, integration, browser)
test: $(STAMP) system-deps services lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider -q

bench: $(STAMP) system-deps
	@command -v wrk >/dev/null || { (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var test-artifacts .mypy_cache .ruff_cache .pytest_cache
