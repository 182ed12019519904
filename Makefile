# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-project

.PHONY: setup demo test lint bench-ingest bench-profile bench-automl clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/atelier demo $(DEMO_DIR)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench-ingest: setup
	$(BIN)/python bench/ingest.py

bench-profile: setup
	$(BIN)/python bench/profile.py --big

bench-automl: setup
	$(BIN)/python bench/automl.py --budgets 60 300

clean:
	rm -rf $(VENV) $(DEMO_DIR) build src/*.egg-info .pytest_cache .ruff_cache
