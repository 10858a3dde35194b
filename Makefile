# Hanji: `make run` to try it, `make test` to test it.
# Django 6 needs Python 3.12+: take PYTHON=… if given, else the first of these that runs.
PYTHON_CANDIDATES := python3.13 python3.12 python3.14 $(wildcard $(HOME)/.pyenv/versions/3.1[234]*/bin/python3) $(wildcard /usr/local/bin/python3.1[234] /usr/bin/python3.1[234]) python3
PYTHON ?= $(shell for c in $(PYTHON_CANDIDATES); do $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install test lint format bench messages lock clean

# Migrates, creates the demo publication and an admin account on an empty database (the
# password is printed once), then serves on $(HOST):$(PORT) with a worker; Ctrl-C stops both.
run: install
	@$(BIN)/hanji run --host $(HOST) --port $(PORT) --demo-if-empty

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: Hanji needs Python 3.12 or newer; none found (tried python3.13, python3.12). Install one or run: make PYTHON=/path/to/python3.12"; exit 1; fi
	@[ -x $(BIN)/python ] || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# Two workers (one per core here), each test file on one worker: a file's fixtures stay together.
# TEST_WORKERS=0 runs in one process (pytest-xdist off).
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check hanji tests bench
	$(BIN)/ruff format --check hanji tests bench

format: install
	$(BIN)/ruff format hanji tests bench
	$(BIN)/ruff check --fix hanji tests bench

# make bench runs every benchmark; make bench BENCH="pages send" runs some.
bench: install
	$(BIN)/python -m bench $(BENCH)

# Regenerate and compile the Korean and English catalogs after changing strings.
messages: install
	cd hanji && ../$(BIN)/django-admin makemessages -l ko -l en --no-obsolete --ignore 'tests/*' && ../$(BIN)/django-admin makemessages -d djangojs -l ko -l en --no-obsolete || true
	cd hanji && ../$(BIN)/django-admin compilemessages

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.12 -o requirements.lock

clean:
	rm -rf $(VENV) var/test
