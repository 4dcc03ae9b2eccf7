# The two commands: `make run` serves the portal on the embedded defaults, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app portal
CELERY := $(VENV)/bin/celery -A portal.worker
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations system-test-deps node-test-deps lint messages migrate demo

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

translations: install
	$(VENV)/bin/pybabel compile --use-fuzzy -d portal/translations -D messages --statistics 2>&1 | tail -n 2

migrate: install
	$(FLASK) db-upgrade

demo: migrate
	$(FLASK) demo-load --if-empty

# EXTERNAL_URL follows HOST and PORT unless set: the embedded identity provider's redirect URI
# must name the address the browser really uses (`make run PORT=8080` just works).
# Beside the web server: one task worker with its beat (scheduled jobs, the SMS outbox) on the
# embedded broker under instance/tasks (no server), or on TASK_BROKER_URL / REDIS_URL when set;
# it stops when the web server stops.
run: translations demo
	@export TASK_BROKER_URL="$${TASK_BROKER_URL:-$${REDIS_URL:-embedded}}" \
	  EXTERNAL_URL="$${EXTERNAL_URL:-http://$(HOST):$(PORT)}"; \
	$(CELERY) worker --beat --pool threads --concurrency 2 --loglevel warning & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT) --with-threads

# The production server (gunicorn, gunicorn.conf.py) on the same embedded defaults as `make run`.
.PHONY: serve
serve: translations demo
	EXTERNAL_URL="$${EXTERNAL_URL:-http://$(HOST):$(PORT)}" HOST=$(HOST) PORT=$(PORT) \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py 'portal:create_app()'

# Debian's Chromium drives the browser tests (no browser download); Noto CJK renders Chinese;
# poppler-utils turns the statement PDF into a picture to look at; espeak-ng speaks the voice
# guidance (语音播报; `make run` works without it, only the player is missing).
system-test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ] || [ ! -x /usr/bin/espeak-ng ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk poppler-utils espeak-ng >/dev/null; \
	fi

# The third-party OpenID provider of the interoperability tests (npm `oidc-provider`, pinned by
# e2e/oidc/package-lock.json), installed from the npm registry when missing or changed.
OIDC_NODE := e2e/oidc/node_modules/.package-lock.json
$(OIDC_NODE): e2e/oidc/package.json e2e/oidc/package-lock.json
	cd e2e/oidc && npm ci --no-audit --no-fund --loglevel=error

node-test-deps: $(OIDC_NODE)

lint: install
	$(VENV)/bin/ruff check .

# Runs everything on SQLite; with TEST_DATABASE_URL set, runs it all again on that database.
test: translations system-test-deps node-test-deps lint
	env -u TEST_DATABASE_URL $(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again against $${TEST_DATABASE_URL%%@*}@… =="; \
	  $(PY) -m pytest; \
	fi

# Re-extract msgids and merge them into the catalogues (then translate the new entries).
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -o portal/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
