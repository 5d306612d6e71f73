# The two quick-start commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint install install-test browser-deps gettext-deps messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(PY)
	$(PIP) install --quiet -e .

install-test: $(PY)
	$(PIP) install --quiet -e '.[test]'

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium'"; exit 1; fi; }

# GNU gettext: the translation check (tests/test_german.py) extracts every text with xgettext.
gettext-deps:
	@command -v xgettext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
	  else echo "gettext missing: run 'sudo apt-get install -y gettext'"; exit 1; fi; }

# Update the German catalogue after changing texts, then translate and compile (docs/translations.md).
messages: install gettext-deps
	$(PY) manage.py makemessages -l de --add-location file --no-obsolete

# The demo: AGENTDESK_DEMO=1 creates the demo users (known password) and allows the simulator.
run: install
	AGENTDESK_DEMO=1 $(PY) manage.py serve $(ARGS)

lint: install-test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install-test browser-deps gettext-deps lint
	bash scripts/test.sh
