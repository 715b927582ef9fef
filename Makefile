# Frontline: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ONLY ?=
PYTEST_ARGS ?=

.PHONY: run test e2e lint bench install clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit("Frontline needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the declared dependencies change. The npm packages are the browser checks'
# tools (Lighthouse, axe), pinned by package-lock.json; without npm those checks are skipped
# with that reason, the rest of the suite runs.
$(STAMP): pyproject.toml package-lock.json | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the Lighthouse and axe checks will be skipped"; fi
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runstack

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy clienteling frontline

bench: $(STAMP)
	$(PY) -m tests.bench $(if $(ONLY),--only $(ONLY),)

clean:
	rm -rf $(VENV) var
