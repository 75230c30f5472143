# Seba — `make run` sets everything up and starts the assistant; `make test` sets
# everything up and runs the whole test suite. Both are incremental: nothing is
# reinstalled or retrained unless its inputs changed.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
MODEL := models/seba.tar.gz
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard seba/nlu/*.py)

.PHONY: help setup install db train run test test-fast validate system-deps bench clean

help:
	@echo "make run    set up and start the assistant (Rasa :5005, actions :5055)"
	@echo "make test   set up and run the whole test suite"
	@echo "make train | validate | db | bench | clean"

# --- Python environment (pinned by constraints.txt) ---------------------------
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(PY) || $$(scripts/find-python310.sh) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==24.0"
	$(PY) -m pip install -q -c constraints.txt -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed

# --- Order database: migrations + demo data when empty ------------------------
db: install
	@$(PY) -m seba.db init

# --- Model: retrained only when training inputs changed -----------------------
$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name seba --out models --quiet
	@touch $@

train: $(MODEL)

setup: install db train

validate: install
	$(RASA) data validate --fail-on-warnings

system-deps:
	@scripts/system-deps.sh

run: setup
	@scripts/run.sh

test: setup system-deps
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

bench: setup system-deps
	$(PY) -m bench

clean:
	rm -rf var models/*.tar.gz .pytest_cache
