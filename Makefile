# demandlab — the two commands a newcomer needs are `make demo` and `make test`.
# Both build the virtual environment from uv.lock on first use; only Python 3.11
# has to be on the machine.

PYTHON   ?= python3.11
UV_VERSION := 0.13.8
TOOLS    := .tools
UV       := $(TOOLS)/bin/uv
VENV     := .venv
STAMP    := $(VENV)/.synced-$(UV_VERSION)
RUN      := $(UV) run --frozen --no-sync

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export PYTHONHASHSEED := 0

.PHONY: demo test lint format bench clean env lock

## demo: generate the synthetic district, run the pipeline, write reports/demo/latest.html
demo: $(STAMP)
	$(RUN) demandlab demo

## test: lint, then the whole test suite (notebooks included)
test: $(STAMP)
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench
	$(RUN) pytest

lint: $(STAMP)
	$(RUN) ruff check src tests bench

format: $(STAMP)
	$(RUN) ruff format src tests bench
	$(RUN) ruff check --fix src tests bench

## bench: the benchmarks under bench/, results written to bench/results/
bench: $(STAMP)
	$(RUN) python -m bench

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-groups
	touch $@

## lock: re-resolve dependencies after editing pyproject.toml
lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache reports/demo data/demo
