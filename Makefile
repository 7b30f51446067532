# Two commands set everything up on a fresh machine and run:
#   make preflight   offline plan and policy verdict of the dev stack
#   make test        the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
REQUIREMENTS := requirements.txt policy/requirements.txt requirements-dev.txt

.PHONY: install preflight test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

preflight: install
	$(PY) -m nhi preflight --stack $(STACK)

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/preflight_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
