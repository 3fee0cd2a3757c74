# The two commands of the README: `make serve` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NODE_DEPS := node_modules/.installed
export FLASK_APP := wsgi

.PHONY: serve test lint install install-dev translations

serve: $(VENV)/.installed  ## set up and serve the community on http://127.0.0.1:5000 (SQLite, demo content)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi community seed-demo --if-empty
	$(BIN)/python wsgi.py

test: $(VENV)/.installed-dev $(NODE_DEPS)  ## run the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev  ## ruff (pyflakes, isort, bugbear, imports inside functions, pyupgrade) and the duplicate-code check
	$(BIN)/ruff check .
	$(BIN)/pylint --rcfile pyproject.toml --score=n community crm_bridge

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(NODE_DEPS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# axe-core for the e2e accessibility checks and oidc-provider for the SSO tests (package.json, package-lock.json);
# again only when the lock changes
$(NODE_DEPS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the e2e accessibility checks need it (apt-get install npm)"; fi

translations: $(VENV)/.installed-dev  ## extract messages, update and compile the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".*" -o community/translations/messages.pot .
	$(BIN)/pybabel update -i community/translations/messages.pot -d community/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d community/translations
