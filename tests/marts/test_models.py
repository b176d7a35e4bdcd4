"""The database matches ``sql/models.toml`` column by column, and every test it declares holds (dbt-style).

On the session district (``demo_run``): every table and view of the analysts' file is documented
with exactly its columns and types, and each declared test — ``not_null``, ``unique``,
``accepted_values``, ``relationships`` and a model's ``unique_key`` — is one SQL query that counts
the rows breaking it. ``docs/marts.md`` is rendered from the same file; after editing models.toml run
``.venv/bin/python -m tests.marts.test_models`` to rewrite it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from demandlab.store import Store, quote

ROOT = Path(__file__).resolve().parents[2]
MODELS_FILE = ROOT / "src" / "demandlab" / "sql" / "models.toml"
SQL_FOLDER = MODELS_FILE.parent
DOCS_PAGE = ROOT / "docs" / "marts.md"
MODELS: dict[str, dict] = tomllib.loads(MODELS_FILE.read_text("utf-8"))

LAYERS = {
    "contract": "Contract tables",
    "internal": "Internal tables",
    "staging": "Staging views (sql/staging)",
    "mart": "Marts (sql/marts)",
    "signal": "Signal marts (written by the signals stage)",
}
MODEL_KEYS = {"layer", "description", "unique_key", "columns"}
COLUMN_KEYS = {"type", "description", "not_null", "unique", "accepted_values", "relationships"}
#: The tables users, notebooks and scripts rely on (the design's "Contract"), which must stay documented.
CONTRACT_TABLES = {
    "batches",
    "records",
    "rejects",
    "load_warnings",
    "grids",
    "tokens",
    "themes",
    "theme_events",
    "assignments",
    "categories",
    "runs",
    "resources",
    "projects",
}
#: Bookkeeping of the store itself, not data.
UNDOCUMENTED = {"meta"}

#: Each declared test as one query counting the rows (or values) that break it.
CHECKS = {
    "not_null": "select count(*) from {table} where {column} is null",
    "unique": (
        "select count(*) from (select {column} from {table} where {column} is not null "
        "group by {column} having count(*) > 1)"
    ),
    "accepted_values": (
        "select count(*), list(distinct {column}::varchar order by {column}::varchar)[:5] from {table} "
        "where {column} is not null and not list_contains(?::varchar[], {column}::varchar)"
    ),
    "relationships": (
        "select count(*) from {table} as child where child.{column} is not null and not exists "
        "(select 1 from {to_table} as parent where parent.{to_column} = child.{column})"
    ),
    "unique_key": "select count(*) from (select 1 from {table} group by {columns} having count(*) > 1)",
}


def _relations(store: Store) -> dict[str, dict[str, str]]:
    """Every table and view of the analysts' file: {name: {column: type}} in column order."""
    rows = store.con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' and not internal "
        "order by table_name, column_index"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        if table not in UNDOCUMENTED:
            out.setdefault(table, {})[column] = dtype
    return out


def _column_tests(spec: dict) -> list[tuple[str, object]]:
    return [(name, spec[name]) for name in ("not_null", "unique", "accepted_values", "relationships") if name in spec]


def run_check(store: Store, model: str, column: str | None, test: str, arg: object) -> str | None:
    """Run one declared test; a description of what breaks it, or None when it holds."""
    names = {"table": quote(model), "column": quote(column) if column else None}
    params: list = []
    if test == "relationships":
        to_table, to_column = str(arg).split(".")
        names |= {"to_table": quote(to_table), "to_column": quote(to_column)}
    elif test == "accepted_values":
        params = [list(arg)]
    elif test == "unique_key":
        names["columns"] = ", ".join(quote(c) for c in arg)
    row = store.con.execute(CHECKS[test].format(**names), params).fetchall()[0]
    if not row[0]:
        return None
    where = f"{model}.{column}" if column else model
    # accepted values are codes (status, kind …), never record contents, so showing a few is safe
    extra = f", e.g. {row[1]}" if test == "accepted_values" else ""
    what = f"{test} {arg}" if test in ("relationships", "unique_key") else test
    unit = "values occur more than once" if test in ("unique", "unique_key") else "rows"
    return f"{where}: {what} fails: {row[0]} {unit}{extra}"


# --- models.toml itself -----------------------------------------------------------------------------------
def test_models_toml_is_well_formed():
    problems = []
    for model, spec in MODELS.items():
        problems += [f"{model}: unknown key {k!r}" for k in set(spec) - MODEL_KEYS]
        if spec.get("layer") not in LAYERS:
            problems.append(f"{model}: layer must be one of {sorted(LAYERS)}")
        if not str(spec.get("description", "")).strip():
            problems.append(f"{model}: no description")
        columns = spec.get("columns", {})
        if not columns:
            problems.append(f"{model}: no columns")
        unknown = [c for c in spec.get("unique_key", []) if c not in columns]
        problems += [f"{model}: unique_key names unknown column {c!r}" for c in unknown]
        for column, col in columns.items():
            where = f"{model}.{column}"
            problems += [f"{where}: unknown key {k!r}" for k in set(col) - COLUMN_KEYS]
            if not str(col.get("description", "")).strip() or not str(col.get("type", "")).strip():
                problems.append(f"{where}: needs a type and a description")
            for flag in ("not_null", "unique"):
                if flag in col and col[flag] is not True:
                    problems.append(f"{where}: {flag} is either true or absent")
            values = col.get("accepted_values")
            if values is not None and (not values or not all(isinstance(v, str) for v in values)):
                problems.append(f"{where}: accepted_values must be a non-empty list of strings")
            target = col.get("relationships")
            if target is not None:
                to_model, _, to_column = str(target).partition(".")
                if to_column not in MODELS.get(to_model, {}).get("columns", {}):
                    problems.append(f"{where}: relationships names {target!r}, which is not documented")
    assert not problems, "\n".join(problems)


def test_layers_follow_the_names_and_the_sql_files():
    layer = {model: spec["layer"] for model, spec in MODELS.items()}
    assert {m for m, lay in layer.items() if lay == "contract"} == CONTRACT_TABLES
    for model, lay in layer.items():
        if model.startswith("mart_"):
            assert lay in ("mart", "signal"), model
        elif model.startswith("stg_"):
            assert lay == "staging", model
        else:
            assert lay in ("contract", "internal"), model
    for folder, expected in (("staging", "staging"), ("marts", "mart")):
        files = {p.stem for p in (SQL_FOLDER / folder).glob("*.sql")}
        assert files == {m for m, lay in layer.items() if lay == expected}, folder


def test_accepted_values_are_the_codes_the_code_defines():
    from demandlab import schema
    from demandlab.ingest import REASONS, WARNINGS
    from demandlab.labels import ALERT_KINDS_ZH, PLACE_KINDS_ZH
    from demandlab.marts import KPI_LEVELS
    from demandlab.themes.model import UNASSIGNED_REASONS_ZH
    from demandlab.themes.registry import EVENTS

    codes = {
        **{
            (table, column): values for table in ("records", "mart_records") for column, values in schema.VALUES.items()
        },
        ("rejects", "reason"): REASONS,
        ("load_warnings", "reason"): WARNINGS,
        ("theme_events", "event"): EVENTS,
        ("assignments", "reason"): tuple(UNASSIGNED_REASONS_ZH),
        ("mart_kpi", "level"): KPI_LEVELS,
        ("mart_alerts", "kind"): tuple(ALERT_KINDS_ZH),
        ("mart_hot_issues", "place_kind"): tuple(PLACE_KINDS_ZH),
        ("record_places", "place_kind"): tuple(PLACE_KINDS_ZH),
    }
    for (table, column), values in codes.items():
        declared = MODELS[table]["columns"][column].get("accepted_values")
        assert declared is not None and set(declared) == set(values), f"{table}.{column}: {declared} vs {values}"


# --- models.toml against the database ---------------------------------------------------------------------
def test_every_table_and_column_of_the_database_is_documented(demo_run):
    actual = _relations(demo_run["store"])
    assert not CONTRACT_TABLES - set(actual), sorted(CONTRACT_TABLES - set(actual))
    missing = [f"table {t} ({len(cols)} columns)" for t, cols in actual.items() if t not in MODELS]
    for table, columns in actual.items():
        documented = MODELS.get(table, {}).get("columns")
        if documented is not None:
            missing += [f"{table}.{c} ({dtype})" for c, dtype in columns.items() if c not in documented]
    assert not missing, "not documented in src/demandlab/sql/models.toml:\n" + "\n".join(missing)


def test_every_documented_column_exists_with_its_type(demo_run):
    actual = _relations(demo_run["store"])
    stale = [f"table {m}" for m in MODELS if m not in actual]
    for model, spec in MODELS.items():
        for column, col in spec["columns"].items():
            if model in actual and column not in actual[model]:
                stale.append(f"{model}.{column}")
            elif model in actual and actual[model][column] != col["type"]:
                stale.append(f"{model}.{column}: documented {col['type']}, is {actual[model][column]}")
    assert not stale, "documented in models.toml but not so in the database:\n" + "\n".join(stale)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_declared_tests_hold(demo_run, model):
    store, spec = demo_run["store"], MODELS[model]
    if model not in _relations(store):
        pytest.fail(f"{model} is documented but not in the database")
    failures = []
    if "unique_key" in spec:
        failures.append(run_check(store, model, None, "unique_key", spec["unique_key"]))
    for column, col in spec["columns"].items():
        failures += [run_check(store, model, column, test, arg) for test, arg in _column_tests(col)]
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures)


def test_each_check_catches_what_it_should(store):
    """The queries above on a table built to break each test once (a check that cannot fail proves nothing)."""
    store.con.execute(
        "create table t as select * from (values (1, 'a', 'x', 10), (1, null, 'y', 99), (2, 'b', 'x', 10)) "
        "as v(id, code, key, ref)"
    )
    store.con.execute("create table p as select 10 as id")
    assert run_check(store, "t", "code", "not_null", True) == "t.code: not_null fails: 1 rows"
    assert run_check(store, "t", "id", "not_null", True) is None
    assert run_check(store, "t", "id", "unique", True) == "t.id: unique fails: 1 values occur more than once"
    assert run_check(store, "t", "code", "unique", True) is None  # NULLs are not values
    assert run_check(store, "t", "key", "accepted_values", ["x"]) == "t.key: accepted_values fails: 1 rows, e.g. ['y']"
    assert run_check(store, "t", "code", "accepted_values", ["a", "b"]) is None
    assert run_check(store, "t", "ref", "relationships", "p.id") == "t.ref: relationships p.id fails: 1 rows"
    assert run_check(store, "t", None, "unique_key", ["id", "key"]) is None
    assert run_check(store, "t", None, "unique_key", ["key", "ref"]) == (
        "t: unique_key ['key', 'ref'] fails: 1 values occur more than once"
    )


# --- the human page -----------------------------------------------------------------------------------------
def _cell(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).replace("|", "\\|").strip()


def _tests_text(col: dict) -> str:
    parts = []
    if col.get("not_null"):
        parts.append("not null")
    if col.get("unique"):
        parts.append("unique")
    if "accepted_values" in col:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col["accepted_values"]))
    if "relationships" in col:
        parts.append(f"in `{col['relationships']}`")
    return "; ".join(parts)


def render_page(models: dict[str, dict]) -> str:
    """docs/marts.md: every model and column of models.toml, grouped by layer."""
    lines = [
        "# Tables and marts",
        "",
        "Every table and view of the analysts' database (`dl.connect`), column by column. Rendered from",
        "`src/demandlab/sql/models.toml`, which `tests/marts/test_models.py` checks against a real",
        "database and whose declared tests it runs; edit that file, then rewrite this page with",
        "`.venv/bin/python -m tests.marts.test_models`.",
        "",
    ]
    for layer, title in LAYERS.items():
        names = [m for m, spec in models.items() if spec["layer"] == layer]
        if names:
            lines.append(f"* {title}: " + ", ".join(f"[`{m}`](#{m})" for m in names))
    for layer, title in LAYERS.items():
        names = [m for m, spec in models.items() if spec["layer"] == layer]
        if not names:
            continue
        lines += ["", f"## {title}"]
        for model in names:
            spec = models[model]
            lines += ["", f"### {model}", "", _cell(spec["description"]), ""]
            if spec.get("unique_key"):
                lines += ["One row per " + ", ".join(f"`{c}`" for c in spec["unique_key"]) + ".", ""]
            lines += ["| column | type | meaning | tests |", "|---|---|---|---|"]
            for column, col in spec["columns"].items():
                cells = [f"`{column}`", col["type"], _cell(col["description"]), _tests_text(col)]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_the_docs_page_is_rendered_from_models_toml():
    assert DOCS_PAGE.read_text("utf-8") == render_page(MODELS), (
        "docs/marts.md is out of date: run `.venv/bin/python -m tests.marts.test_models`"
    )


if __name__ == "__main__":
    DOCS_PAGE.write_text(render_page(MODELS), "utf-8")
    print(f"wrote {DOCS_PAGE}")
