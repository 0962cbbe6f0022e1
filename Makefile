# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hub demo

test: $(STAMP)
	$(BIN)/ruff check hub plugins tests bench
	$(BIN)/python -m mypy  # what it checks, and how strictly: [tool.mypy] in pyproject.toml
	$(BIN)/python -m pytest -n 2

# the sizes the performance targets are stated at (issue 16); about ten minutes on 2 cores
bench: $(STAMP)
	$(BIN)/python bench/cli_startup.py
	for p in mailerlite mailchimp activecampaign; do \
	  $(BIN)/python bench/contacts_push.py --provider $$p --n 50000 || exit 1; \
	  $(BIN)/python bench/contacts_push.py --provider $$p --n 50000 --faults 0.2 || exit 1; \
	done
	$(BIN)/python bench/contacts_push.py --provider mailerlite --n 10000 --update
	$(BIN)/python bench/sms_fanout.py --n 50000 --time-scale 200
	$(BIN)/python bench/many_clients.py --clients 200
	$(BIN)/python bench/faults.py --seeds 20 --rate 0.3
	$(BIN)/python bench/runner.py --contacts 10000
	$(BIN)/python bench/big_agency.py --contacts 64000 --clients 12

lint: $(STAMP)
	$(BIN)/ruff check hub plugins tests bench
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build *.egg-info
