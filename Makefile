# The two commands of the README: `make run` and `make test`. Both create .venv and install.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ADDR   ?= 127.0.0.1:8000

.PHONY: run test bench install lint format messages migrations clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py compile_translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --quiet-logins
	DEBUG=$${DEBUG:-1} $(PY) manage.py runstack $(ADDR)

test: install
	$(PY) manage.py compile_translations
	$(PY) -m pytest $(PYTEST_ARGS)

# Needs PostgreSQL (DATABASE_URL names the server; the bench makes its own database on it)
# and Debian's wrk for the HTTP figures. BENCH_ARGS="--scale 1m", "--only sweep,pages", …
bench: install
	$(PY) manage.py compile_translations
	$(PY) -m bench $(BENCH_ARGS)

# ruff, then the layers: import-linter's contracts in pyproject.toml ([tool.importlinter]);
# an import that runs up the layers, or a circle between core's modules, fails here.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .

# Needs GNU gettext (xgettext) on the developer's machine; compiling does not.
messages: install
	$(PY) manage.py makemessages --locale zh_Hans --no-obsolete --no-location --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compile_translations

# Regenerate the pins after changing dependencies in pyproject.toml.
lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) var
