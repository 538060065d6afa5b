# The README's two commands: `make run` (set up + launch the app) and `make test` (set up + run every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup setup-test chromium bench models carousel-data

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

# The offline segmentation/face models (two .tflite files from the mediapipe 0.10.21 wheel); idempotent.
models: $(PY)
	$(PY) tools/fetch_models.py

# MALLOC_ARENA_MAX=2: glibc keeps one arena per busy thread; under 20 clients that freed memory is never given
# back (+1 GB RSS in a minute, bench/load.py) — two arenas level it off at about +0.7 GB.
# A failed model fetch must not stop the app: the tabs that need no model keep working, the others say why.
run: setup
	-$(PY) tools/fetch_models.py
	MALLOC_ARENA_MAX=2 $(PY) app.py $(ARGS)

test: setup-test models
	$(PY) -m pytest

bench: setup models
	$(PY) bench/run_all.py

# The CAROUSEL training set (git-ignored, ~1.3 GB): rendered festival scenes + photos bundled with scikit-image.
carousel-data: setup models
	$(PY) tools/make_carousel_data.py --out data/carousel
