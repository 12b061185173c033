# The two commands a newcomer needs are `make run` and `make test`; the rest are their parts.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_LINK_MODE ?= copy

.PHONY: help setup run infra provision test lint typecheck unit contracts bench-registration clean

help:
	@echo "make run      start the whole platform on this machine (Ctrl-C stops it)"
	@echo "make test     lint, type-check and run every test"
	@echo "make contracts  regenerate schemas, examples and AsyncAPI from the models"

# Python environment: uv from PyPI if the machine has none, then the locked workspace.
setup:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --all-packages --locked --quiet

run: setup
	@$(UV) run --no-sync python -m rencontres_infra run

infra: setup
	@$(UV) run --no-sync python -m rencontres_infra infra

provision: setup
	@$(UV) run --no-sync python -m rencontres_infra provision

lint: setup
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

typecheck: setup
	$(UV) run --no-sync mypy

contracts: setup
	$(UV) run --no-sync python -m rencontres_contracts.export

test: lint typecheck
	$(UV) run --no-sync pytest

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
