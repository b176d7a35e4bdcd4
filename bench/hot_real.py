"""Hot issues on real message boards: the top ten with their places, matters, people and evidence.

Sets (../shared/data, skipped when absent): taidi2020c — every message of the sample and the
unlabelled file (a2, a3, a4, test; the message-board mapping, 留言用户 as the author); zjboard —
1,234 messages to Zhejiang and Hangzhou leaders (no author: people come from near-duplicate
groups). Each is loaded as a user would (``ingest`` with a mapping, ``run``), read as a whole
board (``hot_weeks = 0``: each group on its busiest quarter).

Anchor, in the same run: the previous grouping — place × theme, a record without a contact
counted as its own person, heat without the per-person weighting — on the same records.

Recorded per set: records, records with a place, the top ten of each method (place, matter,
records, people and their evidence, 一人多诉, heat, an example), and how many of the anchor's top
ten are one person's messages (the failure the issue names). Reading the messages behind the top
ten is left to the reader of the JSON; the closing note of the session says which were read.

Run: .venv/bin/python -m bench.hot_real   (about two minutes)
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import polars as pl

from bench._common import write_result

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ZJBOARD_MAPPING = """
name = "zjboard"
[constants]
source = "message_board"
channel = "web"
[columns]
record_id = ["id"]
created_at = ["date"]
title = ["title"]
text = ["content"]
category = ["domain"]
likes = ["likes"]
"""


def _load(name: str) -> tuple[list[Path], str | None] | None:
    if name == "taidi2020c":
        folder = DATA / "taidi2020c"
        files = [folder / "sample" / f for f in ("a2_messages_labeled.xlsx", "a3_messages_likes.xlsx",
                                                  "a4_messages_replies.xlsx")]  # fmt: skip
        files.append(folder / "unlabeled" / "test_messages_unlabeled.xlsx")
        return (files, None) if all(f.exists() for f in files) else None
    path = DATA / "zjboard" / "messages.jsonl"
    return ([path], ZJBOARD_MAPPING) if path.exists() else None


def _anchor(records: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """The previous grouping: place × theme, contact else the record as a person, on the busiest quarter."""
    from demandlab.signals.hot import _busiest_quarter

    keys = ["place_key", "theme_id"]
    placed = records.filter(pl.col("place_key").is_not_null() & (pl.col("theme_id") >= 0))
    period = _busiest_quarter(placed, keys)
    groups = (
        period.with_columns(contact=pl.coalesce("contact_key", "record_id"))
        .group_by(keys)
        .agg(
            n=pl.len(),
            n_contacts=pl.col("contact").n_unique(),
            likes=pl.col("likes").fill_null(0).sum(),
            span=((pl.col("created_at").max() - pl.col("created_at").min()).dt.total_days() + 1),
            place=pl.col("place").mode().sort().first(),
            theme_label=pl.col("theme_label").first(),
            authors=pl.col("contact_key").drop_nulls().n_unique(),
            top_author=pl.col("contact_key").drop_nulls().value_counts().struct.field("count").max(),
        )
        .filter(pl.col("n") >= 3)
    )
    heat = [
        math.log1p(n) + math.log1p(c) + 0.5 * math.log1p(lk) + 0.5 * math.log1p(min(s, 91) / 7)
        for n, c, lk, s in groups.select("n", "n_contacts", "likes", "span").iter_rows()
    ]
    return groups.with_columns(heat=pl.Series(heat)).sort("heat", "place", descending=[True, False]).head(top)


def board(name: str) -> dict | str:
    loaded = _load(name)
    if loaded is None:
        return f"skipped: {DATA.name}/{name} absent"
    files, mapping = loaded
    import demandlab as dl
    from demandlab.config import demo_config
    from demandlab.signals.people import BASIS_ZH

    with tempfile.TemporaryDirectory() as tmp:
        cfg = demo_config(Path(tmp) / "data", Path(tmp) / "reports")
        cfg = replace(cfg, signals=replace(cfg.signals, hot_weeks=0))
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            if mapping:
                (Path(tmp) / "mapping.toml").write_text(mapping, encoding="utf-8")
            for path in files:
                pipe.ingest(path, mapping=str(Path(tmp) / "mapping.toml") if mapping else None)
            pipe.run()
            records = pipe.signal_records()
            hot = dl.marts.hot_issues(store, top=10)
    anchor = _anchor(records)
    top = [
        {
            "rank": r["rank"], "place": r["place"], "matter": r["matter"], "theme": r["theme_label"], "n": r["n"],
            "people": r["n_people"], "people_basis": BASIS_ZH[r["people_basis"]], "one_person_share":
            round(r["top_person_n"] / r["n"], 2), "is_repeat": r["is_repeat"], "likes": r["likes"],
            "heat": round(r["heat"], 3), "first": str(r["first_at"].date()), "last": str(r["last_at"].date()),
            "examples": r["examples"][:2],
        }
        for r in hot.iter_rows(named=True)
    ]  # fmt: skip
    placed = records.filter(pl.col("place_key").is_not_null())
    return {
        "records": records.height,
        "records_with_a_place": placed.height,
        "records_with_a_contact": records["contact_key"].is_not_null().sum(),
        "top10": top,
        "top10_city_wide": sum(1 for t in top if t["place"] is None),
        "top10_marked_one_person": sum(1 for t in top if t["is_repeat"]),
        "anchor_top10": [
            {
                "place": r["place"],
                "theme": r["theme_label"],
                "n": r["n"],
                "people_as_counted": r["n_contacts"],
                "authors": r["authors"],
                "top_author_share": round((r["top_author"] or 0) / r["n"], 2),
                "heat": round(r["heat"], 3),
            }
            for r in anchor.iter_rows(named=True)
        ],
        "anchor_top10_mostly_one_author": sum(
            1 for r in anchor.iter_rows(named=True) if (r["top_author"] or 0) > 0.5 * r["n"]
        ),
    }


def main() -> dict:
    os.environ.setdefault("DEMANDLAB_NOW", "2026-11-16T09:00:00")
    result = {"anchor": "place × theme grouping, a record without a contact as its own person (before issue 15)"}
    for name in ("taidi2020c", "zjboard"):
        result[name] = board(name)
    return write_result("hot_real", result)


if __name__ == "__main__":
    main()
