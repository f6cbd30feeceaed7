# Two entry points: `make lab` for students, `make test` for maintainers and CI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter refuses to run as root without --allow-root (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test env lessons check demo bench clean

# The environment is (re)built whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

lab: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir=lessons $(ROOT_FLAG) $(LAB_ARGS)

# 1. lessons/ must be in sync with solutions/; 2. unit tests and grading round
# trips (--dist loadgroup: each lesson's round trip, marked with an xdist_group,
# grades on one worker while the other grades another); 3. nbval re-runs every
# solution notebook and compares its outputs.
# The absolute PATH matters: nbval starts kernels from the notebook's folder.
test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grader check
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests -n 2 --dist loadgroup $(PYTEST_ARGS)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest --nbval solutions -n 2 --dist loadfile $(PYTEST_ARGS)

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
