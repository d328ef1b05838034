# The two sacred commands: `make run` and `make test`. Both work on a fresh clone:
# they create .venv and install what they need themselves.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links, QR codes and the demo's printout follow the port actually served (REGISTRY_PUBLIC_URL wins when set).
RUN_PUBLIC_URL := http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
PYTEST_ARGS ?=
BENCH ?=

.PHONY: run test lint fmt bench wrk browser demo clean help

help:
	@echo "make run    - install, migrate ./var/registry.db, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install with dev extras and run the whole suite (REGISTRY_TEST_DATABASE_URL selects PostgreSQL)"
	@echo "make lint   - ruff, mypy (strict) and import-linter"
	@echo "make bench  - run the benchmarks in bench/ (JSON on stdout; the verify benchmark needs wrk and PostgreSQL);"
	@echo "             BENCH=verify (or issue, pdf, backup, regulator) runs only those named"
	@echo "make browser - install Debian's chromium for the browser tests (as root; otherwise prints how)"

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	touch $@

$(VENV)/.run-installed: pyproject.toml | $(VENV)/.created
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/.created
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	@mkdir -p var
	export REGISTRY_PUBLIC_URL="$${REGISTRY_PUBLIC_URL:-$(RUN_PUBLIC_URL)}" && \
	$(BIN)/registry db upgrade && \
	$(BIN)/registry demo && \
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

# Browser tests (tests/browser) run when Chromium is present (REGISTRY_BROWSER or chromium on PATH); otherwise
# they are skipped and the summary says so in one line. `make browser` installs it.
test: $(VENV)/.dev-installed
	@chromium="$${REGISTRY_BROWSER:-$$(command -v chromium || echo /usr/bin/chromium)}"; \
	if [ -x "$$chromium" ]; then echo "browser tests: with $$chromium"; \
	else echo "browser tests: SKIPPED — no Chromium (run 'make browser' as root, or set REGISTRY_BROWSER)"; fi
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The verification benchmark drives the server with wrk (a C load generator, Debian package `wrk`): installed
# here when missing and we may (root with apt-get), otherwise the benchmark stops saying how to install it.
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null 2>&1 || [ -n "$$BENCH_WRK" ] || $(MAKE) --no-print-directory wrk
	$(BIN)/python -m bench $(BENCH)

wrk:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing wrk (apt-get install wrk) for the verification benchmark"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }; \
	else \
		echo "wrk (C HTTP load generator) is not installed: run 'sudo apt-get install wrk' (Debian/Ubuntu)" \
			"or 'brew install wrk' (macOS), or set BENCH_WRK to its path" >&2; \
	fi

# Browser tests drive Debian's chromium through Playwright (never `playwright install`: nothing downloads a
# browser). Installed here when missing and we may (root with apt-get), otherwise this says how.
browser:
	@if [ -n "$$REGISTRY_BROWSER" ] || command -v chromium >/dev/null 2>&1; then \
		echo "chromium present: $${REGISTRY_BROWSER:-$$(command -v chromium)}"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (apt-get install chromium) for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	else \
		echo "chromium is not installed: run 'sudo apt-get install chromium' (Debian/Ubuntu) or set REGISTRY_BROWSER" \
			"to a Chromium binary; the browser tests are skipped until then" >&2; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
