# Two entry points: `make lab` for students, `make test` for maintainers and CI.
# Both install the exact versions of requirements.lock / requirements-dev.lock
# (the ones the stored notebook outputs were made with); `make lock` refreshes them.
#
# PYTHON: the interpreter .venv is created with. Empty (the default) lets
# tools/pick-python choose: python3 if it is 3.10-3.13, else python3.13,
# python3.12, python3.11, python3.10, whichever is on PATH first. `make lab
# PYTHON=python3.12` insists on one (it must be supported too).
PYTHON ?=
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: lab lab-instructor test test-fast test-full env lock lessons check demo bench clean

# The student's environment: the runtime lock, then the project itself
# (editable, without resolving anything again). Rebuilt when pyproject.toml or
# the lock changes; an existing .venv is reused (`make clean` starts afresh).
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || { py=$$(tools/pick-python $(PYTHON)) && echo "$$py -m venv $(VENV)" && $$py -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The maintainer's: the same plus pytest, xdist and nbval, pinned as well.
$(DEV_STAMP): $(STAMP) $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet -r $(DEV_LOCK)
	touch $(DEV_STAMP)

env: $(DEV_STAMP)

# Refresh the locks from pyproject.toml with uv (installed once in build/lock-tools):
# one universal lock for CPython 3.10-3.13 (environment markers where a version
# needs other pins). Existing pins are kept unless pyproject.toml excludes them;
# `make lock UPGRADE=1` moves every package to its newest allowed version.
# Run `make test` afterwards: nbval compares the stored outputs with the new versions.
UV_VERSION  := 0.13.9
LOCK_TOOLS  := build/lock-tools
LOCK_FLAGS  := --universal --python-version 3.10 --custom-compile-command "make lock" --quiet
lock:
	@test -x $(LOCK_TOOLS)/bin/uv || { py=$$(tools/pick-python $(PYTHON)) && $$py -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --extra cluster $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade,) -o $(DEV_LOCK)
	cp $(DEV_LOCK) $(LOCK)
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(LOCK)

# JupyterLab as tools/lab starts it (tests/test_browser.py starts it the same way):
# students on lessons/ with only nbgrader's student side (Assignment List, Validate),
# from jupyter-config/student and jupyter-config/common; instructors on the whole
# repository with nbgrader's full extension (Formgrader, Create Assignment).
# LAB_ARGS go to `jupyter lab`, e.g. LAB_ARGS="--no-browser --port=8890".
lab: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" tools/lab $(LAB_ARGS)

lab-instructor: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" tools/lab --instructor $(LAB_ARGS)

# 0. ruff (configured in pyproject.toml); 1. lessons/ must be in sync with solutions/;
# 2. one pytest run, so that both workers stay busy to the end: unit tests, grading
# round trips and nbval (re-runs every solution notebook and compares its outputs,
# skipping the demonstration cells grading skips: make test-full runs those).
# --dist loadgroup keeps each xdist_group on one worker: a lesson's round trip, one
# nbval notebook (tests/conftest.py groups its cells). --no-loadscope-reorder keeps
# the order tests/conftest.py sorts them in: long groups first, short tests last.
# tests/fixtures holds submissions, not notebooks for nbval.
# The absolute PATH matters: nbval starts kernels from the notebook's folder.
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grader check
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests solutions --nbval --ignore=tests/fixtures -m "not full" -n 2 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

# The tests that need no Jupyter kernel, no TensorFlow training and no nbgrader
# grading (tests/conftest.py marks the others `slow`): about half a minute.
test-fast: $(DEV_STAMP)
	$(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests -m "not slow" -n 0 $(PYTEST_ARGS)

# The full tier (marker `full`): every round-trip class graded again with every cell
# run (the same points as with demonstration cells skipped), every lesson run
# top to bottom as released and with every exercise broken, and nbval over every
# cell of every solution notebook, demonstrations included (--nbval-demo-cells).
# A lesson's whole run time per student: tens of minutes. CI runs it after `make test`.
test-full: $(DEV_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests solutions --nbval --nbval-demo-cells --ignore=tests/fixtures -m full -n 2 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

lessons: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grader build

check: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grader check

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grader demo

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/autograde_speed.py

clean:
	rm -rf $(VENV)
