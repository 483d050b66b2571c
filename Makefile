# The course's two commands (see README.md); `bash scripts/course.sh lab|test` is the same
# without make, and `python scripts/course.py ...` the same without bash.
#   make lab    set everything up, then open the course in JupyterLab (your copies in my-notebooks/)
#   make test   set everything up, then run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
COURSE := bash scripts/course.sh

.PHONY: lab reset test test-unit test-notebooks test-pythons test-browser test-fresh test-torch setup bench bench-quick bench-pythons assets clean execute

setup:
	@$(COURSE) setup

lab:
	@$(COURSE) lab

# make one lesson the course's original again, keeping yours as a backup: make reset NB=04
reset:
	@$(COURSE) reset $(NB)

test:
	@$(COURSE) test

test-unit:
	@$(COURSE) test-unit

test-notebooks:
	@$(COURSE) test-notebooks

# the unit tests and the notebooks on Python 3.9 and 3.13 (each in its own .venv-3.X)
test-pythons:
	@$(COURSE) test-pythons

test-browser:
	@$(COURSE) test-browser

# the README's two commands on a fresh minimal Debian 12 (debootstrap), as root and as a user
test-fresh:
	bash scripts/test_fresh.sh

test-torch:
	@$(COURSE) test-torch

# side by side in one run: the engines against micrograd (on every Python found) and
# PyTorch, the widgets' latencies, the notebooks' times; then one summary table
bench: setup
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/run_all.py

# the engines alone, on this Python, fewer repeats (about two minutes)
bench-quick: setup
	$(PY) benchmarks/run_all.py --quick

# the micrograd ratio on Python 3.9, this one and 3.13 (environments as in test-pythons)
bench-pythons: setup
	$(PY) benchmarks/run_all.py --pythons

assets: setup
	$(PY) scripts/make_assets.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

execute: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
	$(PY) scripts/tidy_outputs.py notebooks/*.ipynb
