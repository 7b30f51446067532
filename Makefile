# Two commands set everything up on a fresh machine and run:
#   make preflight   offline plan and policy verdict of the dev stack
#   make test        the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
REQUIREMENTS := requirements.txt policy/requirements.txt requirements-dev.txt

.PHONY: install preflight test lint docs bench bench-setup bench-scale clean

install: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	touch $@

preflight: install
	$(PY) -m nhi preflight --stack $(STACK) --policy-pack-config policy/config/$(STACK).json

test: install graphviz lint
	$(VENV)/bin/zizmor --offline --persona auditor .github/workflows
	$(PY) -m pytest -q

# Every generated page of docs/ (settings reference, rule pages and index, access levels, the dev inventory and its
# picture) from its one source; `python -m docgen --check` exits 1 naming each stale file (a test runs it).
docs: install graphviz
	$(PY) -m docgen

# Lint and format (ruff) and types (mypy), configured in pyproject.toml. The root program and the pack are each a
# `__main__` module, so each gets its own mypy run (the pack with policy/ as its import root, as Pulumi runs it).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy __main__.py
	cd policy && ../$(VENV)/bin/mypy --config-file ../pyproject.toml __main__.py nhi_rules

# Graphviz's `dot` draws `nhi inventory --graph` (its tests render pictures): Debian's package, installed when
# missing (CI runs as root; elsewhere through sudo). On other systems install Graphviz first (brew install graphviz).
.PHONY: graphviz
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing Graphviz (dot) for nhi inventory --graph"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; }

bench: install
	$(PY) benchmarks/preflight_bench.py

# Checkov in its own virtual environment: its pins conflict with the platform's.
bench-setup: benchmarks/.venv-checkov/bin/checkov

benchmarks/.venv-checkov/bin/checkov: benchmarks/requirements-checkov.txt
	$(PYTHON) -m venv benchmarks/.venv-checkov
	benchmarks/.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r $<

bench-scale: install bench-setup
	$(PY) benchmarks/scale_bench.py
	$(PY) benchmarks/checkov_compare.py

# Where the preflight's process holds the interpreter lock (py-spy, pinned; needs ptrace: root or sudo).
.PHONY: profile
profile: install
	$(PY) -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements-profile.txt
	$(PY) benchmarks/gil_profile.py

clean:
	rm -rf $(VENV) .pytest_cache
