# The two commands a newcomer needs are `make run` and `make test`; the rest are their parts.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_LINK_MODE ?= copy

.PHONY: help setup test-deps run infra provision test lint typecheck contracts bench-registration bench-billing bench-notify bench-ops clean

help:
	@echo "make run      start the whole platform on this machine (Ctrl-C stops it)"
	@echo "make test     lint, type-check and run every test"
	@echo "make contracts  regenerate schemas, examples and AsyncAPI from the models"

APT_INSTALL = { [ "$$(id -u)" = 0 ] || { echo "run as root or install: $(1)" >&2; exit 1; }; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; }

# Python environment: uv from PyPI if the machine has none, then the locked workspace;
# Debian's PostgreSQL server (FerretDB's local backend) if the machine lacks it.
setup:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --all-packages --locked --quiet
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 \
		|| $(call APT_INSTALL,postgresql)
	@# WeasyPrint (billing's PDFs) needs Pango and a font with accents
	@ldconfig -p | grep -q libpango-1.0 && [ -d /usr/share/fonts/truetype/dejavu ] \
		|| $(call APT_INSTALL,libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)

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

# What only the tests need: Debian's Chromium for the browser tests, pdftoppm (poppler-utils)
# for the invoice's picture, promtool (Debian's `prometheus`) for the alert rules, a Compose
# CLI to check deploy/compose.yaml, and axe-core from npm. Installed once; later runs find them.
test-deps:
	@[ -x /usr/bin/chromium ] || $(call APT_INSTALL,chromium)
	@command -v pdftoppm >/dev/null 2>&1 || $(call APT_INSTALL,poppler-utils)
	@command -v promtool >/dev/null 2>&1 || $(call APT_INSTALL,prometheus)
	@command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
		|| $(call APT_INSTALL,docker-compose)
	@[ -d tests/browser/node_modules/axe-core ] \
		|| npm ci --prefix tests/browser --silent --no-audit --no-fund

test: lint typecheck test-deps
	$(UV) run --no-sync pytest

# A benchmark, not a test: figures and a plot in bench-results/ (see bench/registration/).
bench-registration: setup
	@command -v wrk >/dev/null 2>&1 || $(call APT_INSTALL,wrk)
	@$(UV) sync --all-packages --locked --group bench --quiet
	$(UV) run --no-sync python -m bench.registration

# A benchmark, not a test: billing draining 10,000 events vs a bare consume-and-insert loop.
bench-billing: setup
	@$(UV) sync --all-packages --locked --group bench --quiet
	$(UV) run --no-sync python -m bench.billing $(BENCH_ARGS)

# Notify draining 10,000 events into the catcher, against a bare SMTP loop (bench/notify/run.py).
bench-notify: setup
	@$(UV) sync --all-packages --locked --group bench --quiet
	$(UV) run --no-sync python -m bench.notify $(BENCH_ARGS)

# The ops dashboard's page and data endpoint under a burst of 5,000 registrations (bench/ops/).
bench-ops: setup
	$(UV) run --no-sync python -m bench.ops

# Forget make run's data too: the local state and (when run as root) its PostgreSQL cluster.
clean:
	-@$(UV) run --no-sync python -c 'from pathlib import Path; from rencontres_infra import postgres; \
		postgres.forget(Path(".local/state"))' 2>/dev/null
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
