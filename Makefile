# Two commands set everything up on a fresh machine and run:
#   make preflight   offline plan and policy verdict of the dev stack
#   make test        the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
REQUIREMENTS := requirements.txt policy/requirements.txt requirements-dev.txt

.PHONY: install preflight test bench bench-setup bench-scale clean

install: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

preflight: install
	$(PY) -m nhi preflight --stack $(STACK) --policy-pack-config policy/config/$(STACK).json

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/preflight_bench.py

# Checkov in its own virtual environment: its pins conflict with the platform's.
bench-setup: benchmarks/.venv-checkov/bin/checkov

benchmarks/.venv-checkov/bin/checkov: benchmarks/requirements-checkov.txt
	$(PYTHON) -m venv benchmarks/.venv-checkov
	benchmarks/.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r $<

bench-scale: install bench-setup
	$(PY) benchmarks/scale_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
