# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=portal $(BIN)/flask
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup setup-dev translations update-messages lint clean browser-deps html-deps \
        bench bench-quick bench-deps bench-browser bench-signboards static

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# A random secret key for this machine, written once, never committed.
instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > $@
	@echo "Wrote instance/config.py with a new random SECRET_KEY."

translations: $(VENV)/.runtime
	@$(BIN)/pybabel compile -d translations >/dev/null

# Hashed, gzip- and brotli-compressed static files and their manifest (instance/static-build/);
# the app also rebuilds them at start whenever static/ changed.
static: $(VENV)/.runtime instance/config.py
	@FLASK_DEBUG=1 $(FLASK) portal build-static

setup: $(VENV)/.runtime instance/config.py translations static
	@# Links in QR codes and mail come from configuration, never from a request's Host.
	@grep -q '^PUBLIC_BASE_URL' instance/config.py || \
	  echo "PUBLIC_BASE_URL = 'http://$(HOST):$(PORT)'" >> instance/config.py
	$(FLASK) db upgrade
	$(FLASK) portal demo
	$(FLASK) portal reindex
	FLASK_DEMO_MODE=true $(FLASK) portal demo-accounts

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian packages the browser tests need (Chromium, CJK fonts for readable screenshots).
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ]; then APT="apt-get"; else APT="sudo apt-get"; fi; \
	  $$APT update -qq && DEBIAN_FRONTEND=noninteractive $$APT install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The W3C Nu HTML checker (npm vnu-jar, pinned as in tests/queue/test_html_validity.py) and a
# Java to run it: staff pages must validate with 0 errors.
VNU_VERSION := 26.9.27
html-deps:
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then APT="apt-get"; else APT="sudo apt-get"; fi; \
	  $$APT update -qq && DEBIAN_FRONTEND=noninteractive $$APT install -y -qq default-jre-headless >/dev/null; \
	fi
	@test -f .cache/npm/node_modules/vnu-jar/build/dist/vnu.jar || \
	  npm install --no-save --no-audit --no-fund --prefix .cache/npm vnu-jar@$(VNU_VERSION) >/dev/null

setup-dev: $(VENV)/.dev translations browser-deps html-deps static

test: setup-dev
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
	  echo "== the suite on SQLite"; \
	  echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped; .ci/run sets it)"; \
	  $(BIN)/python -m pytest -q -m "not browser"; \
	else \
	  echo "== the suite on SQLite and, side by side (one core each), on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  mkdir -p test-artifacts; tmp=$$(mktemp -d); \
	  env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q -m "not browser" \
	    --basetemp=$$tmp/sqlite > test-artifacts/sqlite.log 2>&1 & lite=$$!; \
	  $(BIN)/python -m pytest -q -m "not browser" --basetemp=$$tmp/postgres \
	    > test-artifacts/postgres.log 2>&1; pg=$$?; \
	  wait $$lite; sq=$$?; \
	  echo "== on SQLite (exit $$sq)"; cat test-artifacts/sqlite.log; \
	  echo "== on PostgreSQL (exit $$pg)"; cat test-artifacts/postgres.log; \
	  rm -rf "$$tmp"; test $$sq = 0 && test $$pg = 0; \
	fi
	@echo "== the browser tests (Chromium)"
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q -m browser

# Debian's wrk load generator for the benchmarks.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then APT="apt-get"; else APT="sudo apt-get"; fi; \
	  $$APT update -qq && DEBIAN_FRONTEND=noninteractive $$APT install -y -qq wrk >/dev/null; \
	fi

# The browser benchmark's tools: Lighthouse and axe-core from npm (pinned by the lock file).
benchmarks/node_modules/.installed: benchmarks/package.json benchmarks/package-lock.json
	cd benchmarks && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# DESIGN §4 figures into BENCHMARKS.md; builds benchmarks/data/ once (100k outfalls, 1M complaints),
# prints signboards in batch from it (benchmarks/signboard_bench.py), measures the registry's edits,
# the downloads and the inventory import/export in-process (benchmarks/inprocess.py), then the
# browser benchmark (Slow 3G report, Lighthouse, axe-core; benchmarks/browser_bench.py).
bench: $(VENV)/.dev translations bench-deps browser-deps benchmarks/node_modules/.installed
	$(BIN)/python -m benchmarks.run

# Smoke run on 10k outfalls / 100k complaints; writes benchmarks/results/BENCHMARKS-quick.md.
bench-quick: $(VENV)/.dev translations bench-deps browser-deps benchmarks/node_modules/.installed
	$(BIN)/python -m benchmarks.run --quick

# Signboards in batch alone (its own 1,000 synthetic outfalls); updates its BENCHMARKS.md section.
bench-signboards: $(VENV)/.dev
	$(BIN)/python -m benchmarks.signboard_bench --write BENCHMARKS.md

# The browser benchmark alone (its own small demo database; prints its table).
bench-browser: $(VENV)/.dev translations browser-deps benchmarks/node_modules/.installed
	$(BIN)/python -m benchmarks.browser_bench

lint: setup-dev
	$(BIN)/ruff check portal tests benchmarks
	$(BIN)/ruff format --check portal tests benchmarks

update-messages: $(VENV)/.runtime
	$(FLASK) portal translate update

clean:
	rm -rf $(VENV) instance/portal.sqlite* instance/search_index
