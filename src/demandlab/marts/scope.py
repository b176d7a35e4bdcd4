"""The marts over one street, community or grid, computed by the same SQL models as the whole district.

A scoped query runs a mart's model again with every relation that carries a place replaced, in a
``with`` clause of the same name, by that relation's rows in the scope: the record tables
(``records``, the staging views, ``mart_records``) and the grid registry (``grids``). A model that
aggregates a place-bearing relation is itself recomputed over the scope when another model reads
it. So ``mart_grid_week``, which lists every grid of the registry, lists only the scope's grids,
and the KPIs of a community are the KPIs its own records give. The one relation every scope reads
whole is the calendar, ``mart_weeks``: a community's weekly series spans the district's weeks, so
a quiet week counts as zero in its baselines instead of vanishing.

The relations a model reads are the names after ``from`` and ``join`` in its SQL, as
:func:`demandlab.marts.build.sql_models` orders them. A name that is one of the model's own
``with`` steps gets a shadow it never reads, which DuckDB drops from the plan.

>>> import demandlab as dl
>>> from demandlab.marts.scope import Scope, scoped
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)          # doctest: +SKIP
>>> scoped(store, Scope("community", "翠竹社区")).query("mart_grid_week")       # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from .. import sql
from ..options import parse_scope
from ..store import Store
from .build import ALL_WEEKS, INCREMENTAL, sql_models

#: The columns a scope can select on, from the widest to the narrowest.
SCOPE_COLUMNS = ("street", "community", "grid_id")
#: Relations every scope reads whole: the weeks of the data, the spine of every dense weekly series.
CALENDAR = frozenset({"mart_weeks"})
_READS = re.compile(r"\b(?:from|join)\s+([A-Za-z_]\w*)", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    """One street, community or grid: ``kind`` is the column (street, community, grid_id), ``value`` its value.

    >>> Scope.parse("社区=翠竹社区")
    Scope(kind='community', value='翠竹社区')
    >>> str(Scope("grid_id", "DH0101"))
    'grid_id=DH0101'
    """

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_COLUMNS:
            raise ValueError(f"a scope is one of {SCOPE_COLUMNS}, got {self.kind!r}")

    @classmethod
    def parse(cls, text: str | None) -> Scope | None:
        """``street=东湖街道`` (or 街道=…, community=…, 社区=…, grid=…, 网格=…) as a scope; None stays None.

        A malformed text raises :class:`demandlab.errors.UsageError` (see :func:`demandlab.options.parse_scope`).
        """
        parsed = parse_scope(text)
        return None if parsed is None else cls(*parsed)

    def filter(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``frame`` in the scope; a frame without the scope's column carries no place and is kept whole.

        >>> Scope("street", "东湖街道").filter(pl.DataFrame({"street": ["东湖街道", "西城街道"]})).height
        1
        """
        return frame.filter(pl.col(self.kind) == self.value) if self.kind in frame.columns else frame

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class ScopedMarts:
    """Runs the mart models over one scope and/or the records raised in a range of weeks.

    Use :func:`scoped` to make one. Without a scope and weeks, :meth:`query` reads the stored marts.
    """

    def __init__(self, store: Store, scope: Scope | None = None, weeks: tuple[dt.date, dt.date] | None = None) -> None:
        self.store = store
        self.scope = scope
        self.weeks = weeks
        self.models = dict(sql_models())

    @cached_property
    def _columns(self) -> dict[str, set[str]]:
        """The columns of every table and view of the analysts' file (the ``main`` schema scoped queries read)."""
        rows = self.store.sql(sql.text("read/columns")).rows()
        columns: dict[str, set[str]] = {}
        for table, column in rows:
            columns.setdefault(table, set()).add(column)
        return columns

    def query(self, name: str, where: str = "", params: list | None = None, order: str = "") -> pl.DataFrame:
        """Rows of the mart (or table) ``name`` in the scope, filtered by ``where`` (SQL with ``?`` for each
        of ``params``) and sorted by ``order``.

        >>> marts = scoped(store, Scope("street", "东湖街道"))                                  # doctest: +SKIP
        >>> marts.query("mart_kpi", "level = ?", ["dept"], "n desc")                           # doctest: +SKIP
        """
        statement, values = self.statement(name)
        if where:
            statement += f" where {where}"
        if order:
            statement += f" order by {order}"
        return self.store.sql(statement, [*values, *(params or [])])

    def statement(self, name: str) -> tuple[str, list]:
        """The query that gives ``name`` in the scope, and its parameters (``query`` adds its filter and order)."""
        if name not in self.models and name not in self._columns:
            raise ValueError(f"no mart, table or view named {name!r}")
        if self.scope is None and self.weeks is None:
            return f"select * from {name}", []
        if name in CALENDAR:
            return f"select * from {name}", []
        if name not in self.models or self._row_wise(name):
            conditions, values = self._conditions(name)
            where = f" where {' and '.join(conditions)}" if conditions else ""
            return f"select * from (select * from main.{name}{where})", values
        shadows: dict[str, tuple[str, list]] = {}
        self._shadow_inputs(name, shadows)
        body = f"select * from (\n{_body(self.models[name])}\n)"
        if not shadows:
            return body, []
        steps = ",\n".join(f"{relation} as ({query})" for relation, (query, _) in shadows.items())
        return f"with {steps}\n{body}", [v for _, values in shadows.values() for v in values]

    def _shadow_inputs(self, model: str, shadows: dict[str, tuple[str, list]]) -> None:
        """Add to ``shadows``, each after the ones it reads, a scoped stand-in for every relation ``model`` reads
        that carries a place (or, with weeks, a week)."""
        for relation in sorted(set(_READS.findall(re.sub(r"--[^\n]*", "", self.models[model])))):
            if relation in shadows or relation == model or relation in CALENDAR:
                continue
            if relation == "build_weeks":  # a model kept week by week (marts/build.py): here every week computed
                shadows[relation] = (ALL_WEEKS, [])
                continue
            if relation in self.models and not self._row_wise(relation):
                # an aggregate read by this model: computed again over the scope, after its own inputs
                self._shadow_inputs(relation, shadows)
                shadows[relation] = (f"select * from (\n{_body(self.models[relation])}\n)", [])
                continue
            conditions, values = self._conditions(relation)
            if conditions:
                shadows[relation] = (f"select * from main.{relation} where {' and '.join(conditions)}", values)

    def _row_wise(self, relation: str) -> bool:
        """A model with one row per record (staging views, marts kept row by row): its scope is a filter."""
        return relation.startswith("stg_") or relation in INCREMENTAL

    def _conditions(self, relation: str) -> tuple[list[str], list]:
        columns = self._columns.get(relation, set())
        conditions: list[str] = []
        values: list = []
        if self.scope is not None and self.scope.kind in columns:
            conditions.append(f"{self.scope.kind} = ?")
            values.append(self.scope.value)
        if self.weeks is not None and "week_start" in columns and relation not in CALENDAR:
            conditions.append("week_start between ? and ?")
            values += list(self.weeks)
        return conditions, values


def _body(model: str) -> str:
    return model.strip().removesuffix(";")


def scoped(store: Store, scope: Scope | str | None = None, weeks: tuple[dt.date, dt.date] | None = None) -> ScopedMarts:
    """The marts of ``store`` over ``scope`` (a :class:`Scope` or text such as ``community=翠竹社区``) and, when
    ``weeks`` is given as (first, last) ``week_start``, over the records raised in those weeks only.

    >>> import demandlab as dl
    >>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)                  # doctest: +SKIP
    >>> scoped(store, "community=翠竹社区").query("mart_kpi", "level = 'total'")            # doctest: +SKIP
    """
    if isinstance(scope, str):
        scope = Scope.parse(scope)
    return ScopedMarts(store, scope, weeks)


__all__ = ["CALENDAR", "SCOPE_COLUMNS", "Scope", "ScopedMarts", "scoped"]
