"""Rows that repeat an id: the same record again, or another matter under a reused id.

A row repeating an id of an earlier row is rejected as ``duplicate_id`` — unless title and creation
time both differ (:func:`is_id_conflict`, a message board reusing an id years later): then it is
another record, kept under a derived, deterministic id (:func:`derived_id`) with an ``id_conflict``
warning naming both rows. The same rule holds within a sheet and across the sheets of a workbook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import polars as pl

from .prepared import WARNING_COLUMNS, _empty


def _title_key(title: str | None) -> str:
    return " ".join((title or "").split())


def is_id_conflict(
    first_created: dt.datetime | None,
    first_title: str | None,
    second_created: dt.datetime | None,
    second_title: str | None,
) -> bool:
    """Whether two rows that carry one id are two different records.

    They are when both rows have a title and a creation time, and *both* differ: a message board
    that reuses an id for another message years later. Rows whose title or time is missing, or
    where only one of the two differs (a later status of the same work order), are one record.

    Examples
    --------
    >>> a, b = dt.datetime(2017, 3, 1, 9), dt.datetime(2019, 6, 2, 10)
    >>> is_id_conflict(a, "小区停车难", b, "学校门口拥堵"), is_id_conflict(a, "小区停车难", b, " 小区停车难")
    (True, False)
    """
    if first_created is None or second_created is None or first_created == second_created:
        return False
    t1, t2 = _title_key(first_title), _title_key(second_title)
    return bool(t1) and bool(t2) and t1 != t2


def derived_id(record_id: str, created_at: dt.datetime, title: str | None) -> str:
    """The id a conflicting row is kept under: ``<id>~`` and six hex digits of a hash of its
    creation time and title, so the same row always gets the same id.

    Examples
    --------
    >>> derived_id("2939", dt.datetime(2019, 6, 2, 10, 0), "学校门口拥堵")
    '2939~db453a'
    """
    digest = hashlib.sha256(f"{created_at:%Y-%m-%d %H:%M:%S}|{_title_key(title)}".encode()).hexdigest()
    return f"{record_id}~{digest[:6]}"


def _repeat_decisions(rows: list[tuple]) -> dict[int, tuple[str, int, str | None]]:
    """For rows ``(order, source, record_id, created_at, title)`` in file order, what each repeat is:
    ``("duplicate", order of the row it repeats, None)`` or ``("conflict", order of the first row, new id)``."""
    kept: dict[tuple, list[tuple]] = {}
    out: dict[int, tuple[str, int, str | None]] = {}
    for order, source, record_id, created, title in rows:
        group = kept.setdefault((source, record_id), [])
        if not group:
            group.append((order, created, title))
            continue
        same = next((k for k in group if not is_id_conflict(k[1], k[2], created, title)), None)
        if same is not None:
            out[order] = ("duplicate", same[0], None)
        else:
            out[order] = ("conflict", group[0][0], derived_id(record_id, created, title))
            group.append((order, created, title))
    return out


@dataclass(frozen=True)
class RepeatPlan:
    """What each row of a chunk repeating an id is: ``duplicates`` maps a row to the row it
    repeats, ``conflicts`` a row to (the first row under its id, the derived id it is kept under)."""

    duplicates: dict[int, int]
    conflicts: dict[int, tuple[int, str]]


class Repeats:
    """The repeat rule over a table read in chunks, in file order: each chunk is decided against the
    rows kept so far (the keys of every row kept under each id), so the chunks decide what the whole
    table in one piece decides — a row's fate depends only on the rows before it.

    Examples
    --------
    >>> keys = pl.DataFrame({"row_number": [2, 3], "source": ["a", "a"], "record_id": ["1", "1"],
    ...                      "created_at": [dt.datetime(2025, 1, 1)] * 2, "title": ["灯", "灯"]})
    >>> Repeats().decide(keys).duplicates
    {3: 2}
    """

    KEYS = ("row_number", "source", "record_id", "created_at", "title")

    def __init__(self) -> None:
        self._kept: pl.DataFrame | None = None

    def decide(self, keys: pl.DataFrame) -> RepeatPlan:
        """The plan for one chunk: ``keys`` holds ``row_number, source, record_id, created_at, title``
        of its rows that passed the other checks, all after the rows of earlier chunks."""
        keys = keys.select(self.KEYS)
        kept = self._kept if self._kept is not None else keys.clear()
        on = ["source", "record_id"]
        ids = pl.concat(
            [keys.filter(pl.struct(on).is_duplicated()).select(on), keys.join(kept, on=on, how="semi").select(on)]
        ).unique()
        plan = RepeatPlan({}, {})
        if ids.height:
            earlier = kept.join(ids, on=on, how="semi")
            current = keys.join(ids, on=on, how="semi")
            decisions = _repeat_decisions(pl.concat([earlier, current]).sort("row_number").rows())
            rows = set(current["row_number"].to_list())
            plan = RepeatPlan(
                duplicates={r: d[1] for r, d in decisions.items() if d[0] == "duplicate" and r in rows},
                conflicts={r: (d[1], d[2]) for r, d in decisions.items() if d[0] == "conflict" and r in rows},
            )
            keys = keys.filter(~pl.col("row_number").is_in(list(plan.duplicates)))
        self._kept = keys if self._kept is None else self._kept.vstack(keys)
        return plan


def apply_repeats(frame: pl.DataFrame, plan: RepeatPlan, col_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The plan applied to the rows of ``frame`` (all of a table or one chunk): ``duplicate_id``
    rejects, or rows kept under a derived id with an ``id_conflict`` warning. Returns the frame and
    the warnings."""
    rows = frame["row_number"]
    duplicates = {r: plan.duplicates[r] for r in rows.filter(rows.is_in(list(plan.duplicates))).to_list()}
    conflicts = {r: plan.conflicts[r] for r in rows.filter(rows.is_in(list(plan.conflicts))).to_list()}
    if duplicates:
        first = pl.col("row_number").replace_strict(
            list(duplicates), list(duplicates.values()), default=None, return_dtype=pl.Int64
        )
        frame = frame.with_columns(first.alias("__first"))
        is_dup = pl.col("__first").is_not_null()
        frame = frame.with_columns(
            pl.when(is_dup).then(pl.lit("duplicate_id")).otherwise("reason").alias("reason"),
            pl.when(is_dup).then(pl.lit(col_id)).otherwise("column_name").alias("column_name"),
            pl.when(is_dup)
            .then(pl.format(f"{col_id}：与第 {{}} 行编号相同，作为重复行未导入（以先出现的一行为准）", "__first"))
            .otherwise("message")
            .alias("message"),
            pl.when(is_dup).then(pl.col("record_id")).otherwise("value").alias("value"),
        ).drop("__first")
    warnings = _empty(WARNING_COLUMNS)
    if conflicts:
        original = frame.filter(pl.col("row_number").is_in(list(conflicts))).select("row_number", "record_id")
        new_id = pl.col("row_number").replace_strict(
            list(conflicts), [d[1] for d in conflicts.values()], default=None, return_dtype=pl.String
        )
        frame = frame.with_columns(pl.coalesce(new_id, "record_id").alias("record_id"))
        warnings = pl.DataFrame(
            {
                "row_number": original["row_number"],
                "sheet": [None] * original.height,
                "column_name": [col_id] * original.height,
                "reason": ["id_conflict"] * original.height,
                "message": [_conflict_message(col_id, f"第 {conflicts[r][0]} 行") for r in original["row_number"]],
                "value": original["record_id"],
            },
            schema=WARNING_COLUMNS,
        )
    return frame, warnings


def _conflict_message(col_id: str, other: str) -> str:
    return (
        f"{col_id}：与{other}编号相同，但标题和创建时间都不同，作为另一条记录导入，编号加上派生后缀（~ 和 6 位校验码）"
    )


def _repeats_across_sheets(
    accepted: pl.DataFrame, rejects: pl.DataFrame, warnings: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Repeated ids across the sheets of a workbook: ``accepted`` holds every sheet's rows in order
    (``__order``) with the index of their sheet (``__sheet``). A later repeat becomes a
    ``duplicate_id`` reject, or keeps a derived id with an ``id_conflict`` warning. Returns the
    accepted rows (duplicates removed), the rejects and the warnings."""
    counts = accepted.group_by("source", "record_id").len().filter(pl.col("len") > 1)
    if not counts.height:
        return accepted, rejects, warnings
    repeated = accepted.join(counts.select("source", "record_id"), on=["source", "record_id"], how="semi")
    rows = repeated.sort("__order").select("__order", "source", "record_id", "created_at", "title").rows()
    decisions = _repeat_decisions(rows)
    where = {
        o: (s, r) for o, s, r in accepted.select("__order", "__sheet", "row_number").iter_rows()
    }  # order → (sheet index, row)
    dup_orders = [o for o, d in decisions.items() if d[0] == "duplicate"]
    conflict_orders = {o: d for o, d in decisions.items() if d[0] == "conflict"}

    def other(order: int) -> str:
        sheet, row = where[order]
        return f"第 {sheet + 1} 个工作表第 {row} 行"

    dups = accepted.filter(pl.col("__order").is_in(dup_orders))
    if dups.height:
        rejects = pl.concat(
            [
                rejects,
                dups.select(
                    "row_number",
                    "sheet",
                    pl.lit("record_id").alias("column_name"),
                    pl.lit("duplicate_id").alias("reason"),
                    pl.Series(
                        "message",
                        [
                            f"编号与{other(decisions[o][1])}相同，作为重复行未导入（以先出现的一行为准）"
                            for o in dups["__order"]
                        ],
                        dtype=pl.String,
                    ),
                    "record_id",
                    pl.lit(None, pl.String).alias("raw"),
                    pl.col("record_id").alias("value"),
                ),
            ],
            how="diagonal_relaxed",
        )
    if conflict_orders:
        renamed = accepted.filter(pl.col("__order").is_in(list(conflict_orders)))
        warnings = pl.concat(
            [
                warnings,
                renamed.select(
                    "row_number",
                    "sheet",
                    pl.lit("record_id").alias("column_name"),
                    pl.lit("id_conflict").alias("reason"),
                    pl.Series(
                        "message",
                        [_conflict_message("编号", other(conflict_orders[o][1])) for o in renamed["__order"]],
                        dtype=pl.String,
                    ),
                    pl.col("record_id").alias("value"),
                ),
            ],
            how="diagonal_relaxed",
        )
        new_ids = pl.DataFrame(
            {"__order": list(conflict_orders), "__new_id": [d[2] for d in conflict_orders.values()]},
            schema={"__order": pl.Int64, "__new_id": pl.String},
        )
        accepted = (
            accepted.join(new_ids, on="__order", how="left")
            .with_columns(pl.coalesce("__new_id", "record_id").alias("record_id"))
            .drop("__new_id")
        )
    accepted = accepted.filter(~pl.col("__order").is_in(dup_orders))
    return accepted, rejects, warnings
