# demandlab — the commands a newcomer needs are `make demo`, `make test` and `make lab`.
# Both build the virtual environment from uv.lock on first use; only Python 3.11
# has to be on the machine.

PYTHON   ?= python3.11
UV_VERSION := 0.13.8
TOOLS    := .tools
UV       := $(TOOLS)/bin/uv
VENV     := .venv
STAMP    := $(VENV)/.synced-$(UV_VERSION)-bytecode
ANCHORS  := .venv-anchors
RUN      := $(UV) run --frozen --no-sync

export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export PYTHONHASHSEED := 0

.PHONY: demo lab test lint format bench bench-anchors clean env env-spark lock vendor-plotly

## demo: generate the synthetic district, run the pipeline, write reports/demo/latest.html
demo: $(STAMP)
	$(RUN) demandlab demo

## lab: JupyterLab on notebooks/ (the demo is made first when it is not there); LAB_ARGS passes options,
## e.g. make lab LAB_ARGS="--ip=0.0.0.0 --no-browser" on a server (as root, in a container, it adds --allow-root)
LAB_ARGS ?=
lab: $(STAMP) data/demo/demandlab.duckdb
	$(RUN) jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

data/demo/demandlab.duckdb:
	$(MAKE) demo

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

## vendor-plotly: refresh the plotly.js the report inlines (src/demandlab/report/vendor/README.md): npm pack the
## cartesian bundle of the plotly.js version plotly.py ships and the zh-CN locale, copy them with the LICENSE,
## write SHA256SUMS. Needs npm and the network; not part of demo or test.
VENDOR_DIR := src/demandlab/report/vendor
PLOTLY_LOCALES_VERSION := 3.7.0

vendor-plotly: $(STAMP)
	set -e; \
	version=$$($(RUN) python -c "import plotly.offline as o; print(o.get_plotlyjs_version())"); \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	npm pack --silent --pack-destination "$$work" \
		"plotly.js-cartesian-dist-min@$$version" "plotly.js-locales@$(PLOTLY_LOCALES_VERSION)" >/dev/null; \
	mkdir "$$work/cartesian" "$$work/locales"; \
	tar -xzf "$$work/plotly.js-cartesian-dist-min-$$version.tgz" -C "$$work/cartesian"; \
	tar -xzf "$$work/plotly.js-locales-$(PLOTLY_LOCALES_VERSION).tgz" -C "$$work/locales"; \
	cp "$$work/cartesian/package/plotly-cartesian.min.js" "$$work/cartesian/package/LICENSE" $(VENDOR_DIR)/; \
	cp "$$work/locales/package/zh-cn.js" $(VENDOR_DIR)/plotly-locale-zh-cn.js; \
	cd $(VENDOR_DIR) && sha256sum plotly-cartesian.min.js plotly-locale-zh-cn.js LICENSE > SHA256SUMS; \
	echo "plotly.js-cartesian-dist-min $$version, plotly.js-locales $(PLOTLY_LOCALES_VERSION):"; cat SHA256SUMS; \
	echo "copy these into $(VENDOR_DIR)/README.md"

## env-spark: the same environment (every group, spark's included), then whether Spark can run here (Java 17)
env-spark: $(STAMP)
	$(RUN) python -c "from demandlab.spark.session import unavailable; why = unavailable(); print(why or 'Spark can run here'); raise SystemExit(1 if why else 0)"

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: the packages' bytecode is written once here, so no command compiles them again
# (every `demandlab` start would, where PYTHONDONTWRITEBYTECODE is set or site-packages is read-only)
$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-groups --compile-bytecode
	touch $@

## lock: re-resolve dependencies after editing pyproject.toml
lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) $(ANCHORS) .pytest_cache .ruff_cache reports/demo data/demo
