# The course's two commands (see README.md):
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab reset test test-unit test-notebooks test-browser test-torch setup bench assets clean execute

setup:
	@bash scripts/setup.sh

# the learner's copies in my-notebooks/ (made or updated), then JupyterLab on them
lab: setup
	$(PY) -m grad.workspace lab

# make one lesson the course's original again, keeping the learner's version: make reset NB=04
reset: setup
	$(PY) -m grad.workspace reset $(NB)

test: setup
	$(PY) -m pytest -q tests notebooks $(NBVAL)

test-unit: setup
	$(PY) -m pytest -q tests

test-notebooks: setup
	$(PY) -m pytest -q notebooks $(NBVAL)

test-browser: setup
	@bash scripts/setup.sh --browser
	GRAD_TEST_BROWSER=1 $(PY) -m pytest -q tests/browser

test-torch: setup
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0
	GRAD_TEST_TORCH=1 $(PY) -m pytest -q tests/torch

bench: setup
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/bench_micrograd.py
	$(PY) benchmarks/bench_tensor.py
	$(PY) benchmarks/bench_cnn.py

assets: setup
	$(PY) scripts/make_assets.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

execute: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
