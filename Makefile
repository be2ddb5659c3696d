# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FORUM  := $(BIN)/forum

.PHONY: run test install install-test translations demo worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d forum/translations >/dev/null

# Serve the app on http://127.0.0.1:5000 with the demo forums loaded.
run: install
	$(FORUM) db upgrade
	$(FORUM) demo --if-empty
	$(FORUM) run --host 127.0.0.1 --port 5000

# The whole suite. FORUM_TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(FORUM) worker

# Extract marked strings and update the ja/ru catalogs.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o forum/translations/messages.pot .
	$(BIN)/pybabel update -i forum/translations/messages.pot -d forum/translations

clean:
	rm -rf $(VENV) *.egg-info
