"""Score the signals against a synthetic district's ground truth (``synth`` writes ``truth.json``).

Used by the tests and by ``bench/signals_quality.py``. An alert or hot issue *matches* a planted
event when the event's records are among its records; a surge alert that holds no planted
record at all (of any event) is a false alert.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .hot import hot_issues


def _record_keys(frame: pl.DataFrame) -> pl.Series:
    return frame["records"].list.eval(pl.element().str.split(":").list.last())


def evaluate_signals(alerts: pl.DataFrame, records: pl.DataFrame, events: list[dict], n_cells: int) -> dict:
    """Recall of planted surges, hot issues and repeat callers; false surge alerts per 500 cells.

    ``alerts``: ``mart_alerts``; ``records``: what :meth:`Pipeline.signal_records` returns;
    ``events``: ``truth["events"]``; ``n_cells``: the grid × theme × week cells tested.
    """
    planted = {r for e in events for r in e["records"]}
    alerts = alerts.with_columns(ids=_record_keys(alerts))
    surges = alerts.filter(pl.col("kind") == "surge")
    out: dict = {"surges": {}, "hot_issues": {}, "repeat_callers": {}}
    for event in events:
        ids = set(event["records"])
        hit = pl.col("ids").list.eval(pl.element().is_in(list(ids))).list.any()
        if event["kind"] == "surge":
            found = surges.filter(hit & (pl.col("grid_id") == event["grid_id"]))
            weeks = set(found["iso_week"].to_list())
            out["surges"][event["id"]] = {
                "weeks": event["weeks"],
                "alerted_weeks": sorted(weeks & set(event["weeks"])),
                "week_recall": round(len(weeks & set(event["weeks"])) / len(event["weeks"]), 4),
            }
        elif event["kind"] == "repeat_caller":
            found = alerts.filter(hit & (pl.col("kind") == "repeat_caller"))
            best = max((len(ids & set(x)) for x in found["ids"].to_list()), default=0)
            out["repeat_callers"][event["id"]] = {"records": len(ids), "in_one_alert": best, "found": best >= 3}
        elif event["kind"] == "hot_issue":
            # judged when the issue has run a full period (13 weeks), or at its end when shorter
            year, week = event["weeks"][min(12, len(event["weeks"]) - 1)].split("-W")
            as_of = dt.datetime.fromisocalendar(int(year), int(week), 7) + dt.timedelta(hours=23, minutes=59)
            hot = hot_issues(records, as_of=as_of)
            hot = hot.with_columns(ids=_record_keys(hot))
            share = hot["ids"].list.eval(pl.element().is_in(list(ids))).list.mean().to_list()
            ranks = [r for r, s in zip(hot["rank"].to_list(), share, strict=True) if s and s >= 0.5]
            rank = ranks[0] if ranks else None
            row = hot.filter(pl.col("rank") == rank) if rank else None
            out["hot_issues"][event["id"]] = {
                "as_of": as_of.date().isoformat(),
                "rank": rank,
                "place": row["place"][0] if row is not None else None,
                "in_top_5": rank is not None and rank <= 5,
            }
    false = surges.filter(~pl.col("ids").list.eval(pl.element().is_in(list(planted))).list.any())
    weeks = [w for e in out["surges"].values() for w in e["weeks"]]
    out["surge_week_recall"] = round(sum(len(e["alerted_weeks"]) for e in out["surges"].values()) / len(weeks), 4)
    out["surge_event_recall"] = round(
        sum(bool(e["alerted_weeks"]) for e in out["surges"].values()) / len(out["surges"]), 4
    )
    out["surge_alerts"] = surges.height
    out["false_surge_alerts"] = false.height
    out["cells"] = n_cells
    out["false_alerts_per_500_cells"] = round(false.height / n_cells * 500, 4) if n_cells else None
    out["false_surge_alert_examples"] = (
        false.select("grid_id", "iso_week", "theme_label", "n", "expected").head(5).rows()
    )
    out["hot_issues_in_top_5"] = sum(e["in_top_5"] for e in out["hot_issues"].values())
    out["repeat_callers_found"] = sum(e["found"] for e in out["repeat_callers"].values())
    return out


__all__ = ["evaluate_signals"]
