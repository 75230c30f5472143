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
	$(wildcard seba/nlu/*.py) seba/policies.py

.PHONY: help setup install secrets web db agent train run shell test test-fast lint fix format validate check-content review evaluate system-deps bench clean telegram-webhook console-messages

help:
	@echo "make run    set up and start the assistant (Rasa :5005, actions :5055, shop page :8080, agent console :5070)"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff check + format check (run first by make test); make fix to apply"
	@echo "make shell  chat with the running assistant in a terminal"
	@echo "make train | validate | db | web | secrets | bench | clean"
	@echo "make check-content [CHECK_LANG=bn]   check domain.yml, data/ and shop.yml (docs/content-guide.en.md)"
	@echo "make review  list what the bot did not understand (label it on the console's Review page)"
	@echo "make evaluate  NLU figures (held-out, wide set, cross-validation) into README's NLU section"
	@echo "make soak   200 customers for 10 min + the long fuzz run; writes bench/soak/report.md"
	@echo "make agent AGENT=rina AGENT_NAME='Rina'      create an agent for the console"
	@echo "make telegram-webhook URL=https://<host>     register the Telegram webhook"

# --- Python environment (pinned by constraints.txt) ---------------------------
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(PY) || $$(scripts/find-python310.sh) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==24.0"
	$(PY) -m pip install -q -c constraints.txt -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed

# --- Web chat bubble: the widget from npm, pinned by web/package-lock.json -----
WEB_STAMP := web/node_modules/.installed
$(WEB_STAMP): web/package.json web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm not found: skipping the web chat widget (install Node.js >= 18; see docs/web-bubble.md)" >&2; \
	fi

web: $(WEB_STAMP)

# --- The installation's shared secrets: var/secrets.env, mode 0600 --------------
secrets: install
	@$(PY) -m seba.secrets

# --- Order database: migrations + demo data when empty ------------------------
db: install
	@$(PY) -m seba.db init
	@$(PY) -m handoff upgrade

agent: db
	@$(PY) -m handoff create-agent $(AGENT) --name "$(AGENT_NAME)" --role "$(or $(ROLE),agent)"

# --- Model: retrained only when training inputs changed -----------------------
$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name seba --out models --quiet
	@touch $@

train: $(MODEL)

setup: install secrets db train web

# The same as check-content (kept for Rasa habits: one answer to "is the data valid?").
validate: check-content

# Rasa's data validation plus the checks Rasa lacks, each with file, line and a fix
# (docs/content-guide.en.md, docs/content-guide.bn.md). CHECK_LANG=bn prints them in Bangla.
CHECK_LANG ?= en
check-content: install
	@$(PY) -m seba.content.check --lang $(CHECK_LANG)

# What customers said that the bot did not understand (content staff's inbox).
review: setup
	@$(PY) -m seba.content.review_queue

# NLU figures: the held-out split, the wide set and `rasa test nlu --cross-validation`
# (FOLDS, default 5) into README's <!-- nlu:start/end --> block and var/nlu-evaluation.json.
# Slow (cross-validation trains a model per fold): not part of make test.
evaluate: train
	$(PY) -m seba.evaluation --set heldout --set wide --set lookalike --cross-validation --folds $(or $(FOLDS),5) \
		--markdown --json var/nlu-evaluation.json

system-deps:
	@scripts/system-deps.sh

# The agent console's strings: extract (templates, Python, console.js) and merge into the
# Bangla catalog (no file:line comments, so that branches merge); then fill in the empty
# msgstr lines (docs/handoff.md, "Console language").
CONSOLE_PO := handoff/console/locale/bn/LC_MESSAGES/console.po
console-messages:
	@mkdir -p var
	$(BIN)/pybabel extract -F handoff/console/babel.cfg -k T -k translate_n:2,3 --no-wrap --no-location \
		--ignore-dirs '.* _* node_modules models var' \
		--project "Seba agent console" -o var/console.pot .
	$(BIN)/pybabel update -i var/console.pot -o $(CONSOLE_PO) -l bn --no-wrap \
		--ignore-pot-creation-date
	@echo "untranslated:"; $(PY) -m handoff.console.i18n untranslated

# Two Rasa workers by default: installs Redis (their shared lock store) when it can.
run: setup
	@scripts/system-deps.sh run
	@scripts/run.sh

# Chat with the running assistant in this terminal (start `make run` first, elsewhere).
shell: setup
	@set -a; source var/secrets.env; set +a; \
	  $(PY) -m seba.server shell --port 5006 --model $(MODEL) --endpoints endpoints.yml

test: setup system-deps
	@$(MAKE) --no-print-directory lint
	@$(PY) -m seba.content.check
	$(PY) -m pytest

# Lint and format: ruff, configured in pyproject.toml ([tool.ruff]).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fix: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

format: fix

test-fast: setup
	$(PY) -m pytest -m "not slow"

bench: setup system-deps
	$(PY) -m bench

soak: setup
	$(PY) -m bench.soak

# --- Telegram: register the webhook (a command, never a side effect) ----------
telegram-webhook: install
	@test -n "$(URL)" || { echo "usage: make telegram-webhook URL=https://<host>" >&2; exit 2; }
	@if [ -f var/channels.env ]; then set -a; source var/channels.env; set +a; fi; \
	  $(PY) scripts/telegram_set_webhook.py "$(URL)"

clean:
	rm -rf var models/*.tar.gz .pytest_cache
