# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
PORT   ?= 5000
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

# Serve the app on http://127.0.0.1:$(PORT) with the demo forums loaded, and the mail worker
# beside it: started here, stopped when the server stops (Ctrl+C). Without FORUM_MAIL_SERVER the
# worker writes each mail to instance/mail/*.eml. In production run `forum worker` on its own.
# The worker prints where mail goes and the base URL its links carry (BASE_URL, FORUM_BASE_URL);
# with another PORT and no FORUM_BASE_URL, links point at that port.
ifneq ($(PORT),5000)
export FORUM_BASE_URL ?= http://127.0.0.1:$(PORT)
endif
run: install
	$(FORUM) db upgrade
	$(FORUM) demo --if-empty
	@$(FORUM) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(FORUM) run --host 127.0.0.1 --port $(PORT)

# The whole suite. FORUM_TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(FORUM) worker

# Extract marked strings and update the ja/ru catalogs.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --ignore-dirs ".* __pycache__" -o forum/translations/messages.pot .
	$(BIN)/pybabel update -i forum/translations/messages.pot -d forum/translations

clean:
	rm -rf $(VENV) *.egg-info
