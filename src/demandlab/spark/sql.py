"""The SQL models (``sql/staging``, ``sql/marts``) as Spark SQL: one source, two engines.

The models are written for DuckDB and transpiled with sqlglot (DuckDB → Spark). sqlglot carries the
syntax over, and :func:`to_spark` mends the three things whose meaning it cannot see:

* a **named window extended by a frame** (``over (w rows between 8 preceding and 1 preceding)`` with
  ``window w as (…)``), which Spark does not parse: each such window is written out in full where it is used;
* ``quantile_cont(x, q)`` (``q`` a number or a list), which sqlglot writes as Spark's ``percentile_cont`` — an
  ordered-set aggregate there, taking one fraction in ``within group``: written as Spark's ``percentile(x, q)``,
  the same continuous (linearly interpolated) quantile, of a list of fractions as DuckDB's is;
* a **number written with a point** (``/ 3600.0``), a decimal in both dialects, but which DuckDB divides in
  doubles while Spark divides in decimals rounded to six places (medians of hours then differ in the 7th
  digit): written as a double literal (``3600.0D``);
* nothing else: a model that needs another mend fails the two-engine test (``tests/spark``), which runs every
  model on both and compares every row.

A model written in a form both engines read needs no mend: ``array_length(list)`` (Spark ``size``), not ``len``.

>>> print(to_spark("select avg(n) over (w rows between 2 preceding and 1 preceding) as b from t "
...                "window w as (partition by g order by d)"))
SELECT AVG(n) OVER (PARTITION BY g ORDER BY d NULLS LAST rows BETWEEN 2 preceding AND 1 preceding) AS b FROM t
>>> print(to_spark("select quantile_cont(h, [0.5, 0.9]) as q from t"))
SELECT PERCENTILE(h, ARRAY(CAST(0.5 AS DOUBLE), CAST(0.9 AS DOUBLE))) AS q FROM t
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp


def _inline_named_windows(tree: exp.Expression) -> exp.Expression:
    """Every ``over (w …)`` of a select with ``window w as (…)`` written out in full; the WINDOW clause dropped."""
    for select in tree.find_all(exp.Select):
        named = {w.this.name: w for w in select.args.get("windows") or []}
        if not named:
            continue
        for window in select.find_all(exp.Window):
            ref = window.args.get("alias")
            if window.parent_select is not select or ref is None or ref.name not in named:
                continue
            base = named[ref.name]
            window.set("alias", None)
            if base.args.get("partition_by") and not window.args.get("partition_by"):
                window.set("partition_by", [p.copy() for p in base.args["partition_by"]])
            if base.args.get("order") and not window.args.get("order"):
                window.set("order", base.args["order"].copy())
            if base.args.get("spec") and not window.args.get("spec"):
                window.set("spec", base.args["spec"].copy())
        select.set("windows", None)
    return tree


def _double_literals(tree: exp.Expression) -> exp.Expression:
    """Every number with a point or an exponent as a double, as DuckDB computes with it."""

    def mend(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and not node.is_string and any(c in node.this for c in ".eE"):
            return exp.cast(node.copy(), exp.DataType.build("double"))
        return node

    return tree.transform(mend)


def _percentiles(tree: exp.Expression) -> exp.Expression:
    """``quantile_cont(x, q)`` (parsed as PercentileCont) as Spark's ``percentile(x, q)``."""

    def mend(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
            return exp.Anonymous(this="PERCENTILE", expressions=[node.this.copy(), node.expression.copy()])
        return node

    return tree.transform(mend)


@functools.lru_cache(maxsize=64)
def to_spark(sql: str) -> str:
    """``sql`` (one DuckDB statement: a model's query) as Spark SQL (see the module docstring)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = _double_literals(_percentiles(_inline_named_windows(tree)))
    return tree.sql(dialect="spark")


__all__ = ["to_spark"]
