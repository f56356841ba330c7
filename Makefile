# The common commands. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0
# Where pip gets torch. Empty: pip's own configuration (PyPI, or a local wheel folder). On Linux, PyPI serves the
# CUDA build (several GB with its nvidia-* wheels); on a machine without an NVIDIA GPU pass
#   make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
# for the CPU wheel (about 200 MB). macOS and Windows wheels on PyPI have no CUDA anyway.
# It acts when the venv's packages are installed (a new venv, or requirements changed): `make clean` first.
TORCH_INDEX ?=
# Tests and refreshes never touch the network: the root conftest.py and scripts/refresh_notebooks.py
# both set helpers.mode.OFFLINE_QUIET_ENVIRONMENT (offline kit, no progress bars).

.PHONY: help setup lab-setup system-deps notebook-system-deps python-deps hub-server kit verify-kit lab test e2e test-helpers test-portability chrome solutions refresh bench check-env clean

help:  ## list the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-21s %s\n", $$1, $$2}'

setup: system-deps python-deps hub-server kit check-env  ## bring everything up to date (each step takes about a second when already done)

lab-setup: notebook-system-deps python-deps kit check-env  ## what the notebooks need (no browser, no Hub mirror): what `make lab` runs first

system-deps:  ## install the missing Debian packages in apt-packages.txt (all sections: notebooks, tests, browser test)
	bash scripts/install-system-deps.sh

notebook-system-deps:  ## install only the [notebooks] section of apt-packages.txt (espeak-ng)
	bash scripts/install-system-deps.sh --notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

python-deps: $(VENV)/.installed  ## torch first (TORCH_INDEX=<url> picks the wheel index), then requirements.txt, the kit sources and helpers

# Re-run only when a requirements file changed since the last install.
$(VENV)/.installed: requirements.txt requirements-kit.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-kit.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

hub-server:  ## the Hub mirror (PyPI olah) in its own .venv-hub: the Hub-ids test and `instructor_tools.classroom serve`
	bash scripts/install-hub-server.sh

kit: | $(VENV)/.installed  ## build the offline kit (minutes the first time, seconds after)
	$(BIN)/python -m instructor_tools.kit build

verify-kit: | $(VENV)/.installed  ## check every kit file (size, SHA-256, permissions), the manifest and leftovers of interrupted builds
	$(BIN)/python -m instructor_tools.kit verify

check-env: | $(BIN)/python  ## print [OK]/[FAIL] for each required package
	$(BIN)/python -m instructor_tools.envcheck

# As root (a container, a cloud VM) Jupyter refuses to start unless given --allow-root.
lab: lab-setup  ## set up what the notebooks need, then JupyterLab on notebooks/ with the venv's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# `make test` runs in two streams (pytest-xdist; tests/streams.py balances them, conftest.py gives each worker its
# share of the cores): docs/testing.md has the figures. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2

test: setup  ## set up what is missing, then unit tests, nbval over every notebook (offline kit), every notebook on the Hub ids, every lesson set up by its Colab cell
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

e2e: setup  ## JupyterLab in headless Chromium: run notebook 02, check no errors and a live tokenizer explorer
	$(BIN)/python scripts/e2e_lab.py

test-portability: setup  ## only the portability check (part of make test): the other bfloat16 branch, another CPU's kit language model
	$(BIN)/python -m pytest tests/test_portability.py

test-helpers: | $(VENV)/.installed  ## only the unit tests that need neither the kit nor the Hub server (fast; no notebooks)
	$(BIN)/python -m pytest tests -m "not needs_kit and not hub"

chrome: | $(VENV)/.installed  ## write every lesson's navigation, Colab badge and Colab set-up cell (scripts/notebook_chrome.py)
	$(BIN)/python scripts/notebook_chrome.py

solutions: chrome  ## write notebooks/solutions/ from the lessons and their answers files
	$(BIN)/python scripts/make_solutions.py

refresh: solutions  ## re-execute every lesson, deep dive and solutions notebook in place, offline, so stored outputs come from this code
	$(BIN)/python scripts/refresh_notebooks.py notebooks/*.ipynb notebooks/extras/*.ipynb notebooks/solutions/*.ipynb

bench: setup  ## the speed benchmark: Trainer, speech, batching, as ratios in one run (about 9 min); writes outputs/bench.json and the latest-run tables of docs/benchmarks.md; BENCH_ARGS="--only trainer,asr,text,speech,reference" adds the quicktour recipe's own accuracy on the kit's model (about 6 min a seed)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:  ## remove the two venvs (.venv, .venv-hub); the kit and classroom-cache/ stay (README: "Layout")
	rm -rf $(VENV) .venv-hub
