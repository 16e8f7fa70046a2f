# Consilium: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
VENDOR := app/static/vendor/bootstrap/bootstrap.min.css
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))
# The BPMN editor and viewer bundle (frontend/, built with esbuild into app/static/vendor/modeler).
MODELER := app/static/vendor/modeler/modeler.js
MODELER_SOURCES := $(shell find frontend -type f -not -path 'frontend/fixtures/*' 2>/dev/null)
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
# The suite on two processes (pytest-xdist), a test module's tests together in one (module fixtures are shared).
# PARALLEL= runs it in one process.
PARALLEL ?= -n 2 --dist loadfile
PORT ?= 5000

.PHONY: run test test-postgresql install lint browser messages clean

run: install $(VENDOR) $(MODELER) $(CATALOGUES)
	CONSILIUM_DEMO_MODE=true $(FLASK) db upgrade
	CONSILIUM_DEMO_MODE=true $(FLASK) demo --if-empty
	CONSILIUM_DEMO_MODE=true $(FLASK) bpmn migrate
	@echo "Consilium on http://$(HOST):$(PORT)"
	CONSILIUM_DEMO_MODE=true CONSILIUM_SCHEDULER_ENABLED=true $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

# Production: gunicorn on the configured database (DATABASE_URL, SECRET_KEY; README, "Production").
.PHONY: serve
serve: install $(VENDOR) $(MODELER) $(CATALOGUES)
	$(FLASK) db upgrade
	$(FLASK) bpmn deploy
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

test: install $(VENDOR) $(MODELER) $(CATALOGUES) browser
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

# The same suite against PostgreSQL: CONSILIUM_TEST_DATABASE_URL names a database the run may own.
test-postgresql: install $(VENDOR) $(MODELER) $(CATALOGUES) browser
	@test -n "$(CONSILIUM_TEST_DATABASE_URL)" || (echo "set CONSILIUM_TEST_DATABASE_URL" && exit 2)
	CONSILIUM_TEST_DATABASE_URL=$(CONSILIUM_TEST_DATABASE_URL) $(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

install: $(INSTALLED) node_modules/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR): node_modules/.installed
	mkdir -p app/static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js app/static/vendor/bootstrap/

$(MODELER): node_modules/.installed $(MODELER_SOURCES)
	node frontend/build.mjs

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check app engine tests benchmarks
	$(BIN)/ruff format --check app engine tests benchmarks
	$(BIN)/mypy

# Extract every user-facing string for translators (app/translations/messages.pot).
messages: install
	mkdir -p app/translations
	$(BIN)/pybabel extract -F app/babel.cfg -k _l -k lazy_gettext -k N_ --no-wrap --sort-by-file -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap --ignore-obsolete --no-fuzzy-matching

# The catalogues as the app reads them (built, never committed).
app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance
