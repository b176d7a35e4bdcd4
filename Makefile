# demandlab — the two commands a newcomer needs are `make demo` and `make test`.
# Both build the virtual environment from uv.lock on first use; only Python 3.11
# has to be on the machine.

PYTHON   ?= python3.11
UV_VERSION := 0.13.8
TOOLS    := .tools
UV       := $(TOOLS)/bin/uv
VENV     := .venv
STAMP    := $(VENV)/.synced-$(UV_VERSION)
ANCHORS  := .venv-anchors
RUN      := $(UV) run --frozen --no-sync

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export PYTHONHASHSEED := 0

.PHONY: demo test lint format bench bench-anchors clean env lock

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

## bench: the benchmarks under bench/, results written to bench/results/ (anchors installed first)
bench: $(STAMP) $(ANCHORS)/.synced
	$(RUN) python -m bench

## bench-anchors: the pinned BERTopic environment the theme benchmarks compare against
bench-anchors: $(ANCHORS)/.synced

$(ANCHORS)/.synced: bench/anchors.txt $(UV)
	$(UV) venv --allow-existing -q $(ANCHORS)
	VIRTUAL_ENV=$(ANCHORS) $(UV) pip install -q --no-deps -r bench/anchors.txt
	touch $@

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
	rm -rf $(VENV) $(TOOLS) $(ANCHORS) .pytest_cache .ruff_cache reports/demo data/demo
