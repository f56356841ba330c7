# The common commands. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0
# Tests and refreshes never touch the network: tests/conftest.py and scripts/refresh_notebooks.py
# both set helpers.mode.OFFLINE_QUIET_ENVIRONMENT (offline kit, no progress bars).

.PHONY: help setup system-deps python-deps hub-server kit verify-kit lab test e2e test-helpers chrome solutions refresh bench check-env clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: system-deps python-deps hub-server kit check-env  ## bring everything up to date (each step takes about a second when already done)

system-deps:  ## install the missing Debian packages in apt-packages.txt
	bash scripts/install-system-deps.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

python-deps: $(VENV)/.installed  ## CPU torch first, then requirements.txt, the kit sources and helpers

# Re-run only when a requirements file changed since the last install.
$(VENV)/.installed: requirements.txt requirements-kit.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-kit.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

hub-server:  ## the Hub mirror (PyPI olah) in its own .venv-hub: the Hub-ids test and `helpers.classroom serve`
	bash scripts/install-hub-server.sh

kit:  ## build the offline kit (minutes the first time, seconds after)
	$(BIN)/python -m helpers.kit build

verify-kit:  ## check every kit file (size, SHA-256, permissions), the manifest and leftovers of interrupted builds
	$(BIN)/python -m helpers.kit verify

check-env:  ## print [OK]/[FAIL] for each required package
	$(BIN)/python -m helpers.envcheck

lab: setup  ## set up what is missing, then JupyterLab on notebooks/ with the venv's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: setup  ## set up what is missing, then unit tests, nbval over every notebook (offline kit), every notebook on the Hub ids
	$(BIN)/python -m pytest

e2e: setup  ## JupyterLab in headless Chromium: run notebook 02, check no errors and a live tokenizer explorer
	$(BIN)/python scripts/e2e_lab.py

test-helpers:  ## only the unit tests that need neither the kit nor the Hub server (fast; no notebooks)
	$(BIN)/python -m pytest tests -m "not needs_kit and not hub"

chrome:  ## write every lesson's navigation, Colab badge and Colab set-up cell (scripts/notebook_chrome.py)
	$(BIN)/python scripts/notebook_chrome.py

solutions: chrome  ## write notebooks/solutions/ from the lessons and their answers files
	$(BIN)/python scripts/make_solutions.py

refresh: solutions  ## re-execute every lesson and solutions notebook in place, offline, so stored outputs come from this code
	$(BIN)/python scripts/refresh_notebooks.py notebooks/*.ipynb notebooks/solutions/*.ipynb

bench: setup  ## the speed benchmark: Trainer, speech, batching, as ratios in one run (about 9 min); writes outputs/bench.json; BENCH_ARGS="--only trainer,asr,text,speech,reference" adds the quicktour recipe's own accuracy on the kit's model (about 6 min a seed)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:  ## remove the venv (the kit stays in the HF cache; see README)
	rm -rf $(VENV)
