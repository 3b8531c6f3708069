# The two commands of the README. Both install everything (Python environment, Quantum ESPRESSO,
# pseudopotentials, the LAMMPS GAP plugin, an AiiDA profile and codes) and are safe to re-run.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install quickstart test

$(BIN)/aiida-lps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[tests,nn]'
	touch $@

install: $(BIN)/aiida-lps
	$(BIN)/aiida-lps setup

quickstart: install
	$(BIN)/aiida-lps quickstart

test: install
	$(BIN)/pytest
