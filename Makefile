# LIF: two commands on a fresh machine.
#   make run   - create .venv, install the pinned dependencies, serve on http://127.0.0.1:5000
#                (with the demo on a first start; LIF_DEMO_DATA=0 for an empty install)
#   make test  - the same environment plus test extras, then the whole suite
#   make lint  - ruff, and the layer contract of DESIGN.md (import-linter, .importlinter)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-replica-set bench lint clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# The demo is asked for on every `make run`; only a first start into an empty database takes it.
run: $(VENV)/.installed
	LIF_ENV=$${LIF_ENV:-development} LIF_DEMO_DATA=$${LIF_DEMO_DATA:-1} $(PY) app.py

# Two processes (pytest-xdist), each with its own embedded database, data dir and browser; a
# file's tests stay together (module fixtures: a server of its own, a small disk).
TEST_WORKERS ?= 2

test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The production path: the integration tests once more on a replica set through MONGODB_URI
# (tests/replica_set.py).
test-replica-set: $(VENV)/.installed-test
	LIF_TEST_REPLICA_SET=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile tests/integration

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

bench: $(VENV)/.installed-test
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
