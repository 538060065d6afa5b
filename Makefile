# The README's two commands: `make run` (set up + launch the app) and `make test` (set up + run every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup setup-test chromium bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

setup: $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -e .

setup-test: $(PY) chromium
	$(PY) -m pip install --quiet -r requirements-test.txt -e .

# Browser tests use Debian's Chromium; Playwright's own browser download is not reachable here.
chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

run: setup
	$(PY) app.py

test: setup-test
	$(PY) -m pytest

bench: setup
	$(PY) bench/run_all.py
