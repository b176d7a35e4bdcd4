"""Signals do not depend on the order their rows arrive in, nor on Python's string hashing.

A join upstream keeps no row order, and the order of a set of strings changes with PYTHONHASHSEED
from one process to the next: before these tie-breakers a rerun of the same week changed the
hot-issue examples in half the reports.
"""

import datetime as dt

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from demandlab.signals import hot_issues, repeat_caller_alerts, score_surges, unify_keys

AS_OF = dt.datetime(2026, 11, 15, 20)


def _orders(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """The frame as given, reversed, and shuffled twice."""
    return [
        frame,
        frame.reverse(),
        frame.sample(fraction=1.0, shuffle=True, seed=1),
        frame.sample(fraction=1.0, shuffle=True, seed=2),
    ]


def _group(tokens: list[str], created: list[dt.datetime]) -> pl.DataFrame:
    n = len(tokens)
    return pl.DataFrame(
        {
            "source": ["12345"] * n, "record_id": [f"r{i:02d}" for i in range(n)], "created_at": created,
            "place_key": ["翠湖"] * n, "place": ["翠湖"] * n, "place_kind": ["compound"] * n, "theme_id": [1] * n,
            "theme_label": ["噪音 · 夜间"] * n, "category": ["噪音"] * n, "contact_key": [f"c{i}" for i in range(n)],
            "likes": [0] * n, "grid_id": ["G1"] * n, "street": ["东湖街道"] * n, "community": ["翠湖社区"] * n,
            "title": [None] * n, "text": [f"第{i:02d}条" for i in range(n)], "tokens": tokens,
        }
    )  # fmt: skip


def test_hot_issue_examples_break_ties_between_words_by_the_word():
    # every record says 噪音 施工 (one matter); the first also holds eleven words, each of the next eleven
    # one of them: each such word is in two records, so after 噪音 and 施工 the next eight most frequent
    # words are a tie, settled by the words themselves (not by the order a set of them is iterated in):
    # 词09 … 词11 are left out, and the records holding only those rank below 词01 … 词08's
    words = [f"词{i:02d}" for i in range(1, 12)]
    tokens = [" ".join(["噪音", "施工", *words]), *(f"噪音 施工 {w}" for w in words)]
    created = [AS_OF - dt.timedelta(days=12 - i) for i in range(12)]
    hot = hot_issues(_group(tokens, created), as_of=AS_OF)
    # the first shares all ten top words; of those sharing three, the latest first
    assert hot["examples"].to_list() == [["第00条", "第08条", "第07条"]]


def test_hot_issues_are_the_same_whatever_the_order_of_their_rows():
    # records in the same second, equal likes and equally typical words: only the record keys tell them apart
    tokens = ["噪音 夜间 施工", "噪音 夜间 施工", "噪音 夜间 工地", "噪音 工地 施工", "搅拌站 夜间 噪音"]
    same_second = AS_OF - dt.timedelta(days=3)
    created = [same_second, same_second, same_second, AS_OF - dt.timedelta(days=5), AS_OF - dt.timedelta(days=1)]
    frames = [hot_issues(f, as_of=AS_OF) for f in _orders(_group(tokens, created))]
    for other in frames[1:]:
        assert_frame_equal(frames[0], other)
    assert frames[0]["records"].to_list() == [["12345:r03", "12345:r00", "12345:r01", "12345:r02", "12345:r04"]]


def test_a_repeat_caller_alert_is_named_by_the_first_record_by_key_when_two_share_a_second():
    start = dt.datetime(2026, 3, 2, 9)
    frame = pl.DataFrame(
        {
            "source": ["12345"] * 4, "record_id": ["b1", "a1", "c1", "d1"], "contact_key": ["caller"] * 4,
            "created_at": [start, start, start + dt.timedelta(days=20), start + dt.timedelta(days=40)],
            "category": ["噪音"] * 4, "theme_id": [1] * 4, "theme_label": ["主题1"] * 4, "place": ["翠湖"] * 4,
            "grid_id": ["G1"] * 4, "street": ["东湖街道"] * 4, "community": ["翠湖社区"] * 4,
        }
    ).with_columns(
        week_start=pl.col("created_at").dt.truncate("1w").dt.date(), iso_week=pl.col("created_at").dt.strftime("%G-W%V")
    )  # fmt: skip
    alerts = [repeat_caller_alerts(f, min_records=3) for f in _orders(frame)]
    assert alerts[0]["records"].to_list() == [["12345:a1", "12345:b1", "12345:c1", "12345:d1"]]
    assert {a["alert_id"][0] for a in alerts} == {alerts[0]["alert_id"][0]}


def test_of_two_equally_short_keys_a_compound_contains_the_first_in_code_point_order_wins():
    keys, kinds = ["甲乙丙丁", "甲乙丙", "乙丙丁"], ["compound"] * 3
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        unified = dict(zip([keys[i] for i in order], unify_keys([keys[i] for i in order], kinds), strict=True))
        assert unified == {"甲乙丙丁": "乙丙丁", "甲乙丙": "甲乙丙", "乙丙丁": "乙丙丁"}  # 乙 (U+4E59) < 甲 (U+7532)


def test_surge_scores_do_not_depend_on_the_order_of_the_cells():
    rng = np.random.default_rng(5)
    weeks = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(20)]
    cells = pl.DataFrame(
        [
            {"grid_id": f"G{g}", "theme_id": t, "week_start": w, "n": int(n)}
            for g in range(6)
            for t in (1, 2)
            for w, n in zip(weeks, rng.poisson(2.0, len(weeks)), strict=True)
        ]
    )
    scored = [score_surges(f) for f in _orders(cells)]
    for other in scored[1:]:
        assert_frame_equal(scored[0], other)
    # every series is scored against its own weeks: the first grid's weeks with records come back unchanged, in
    # order (a week without records has no row: it counts 0)
    first = cells.filter((pl.col("grid_id") == "G0") & (pl.col("theme_id") == 1) & (pl.col("n") > 0))
    got = scored[1].filter((pl.col("grid_id") == "G0") & (pl.col("theme_id") == 1))
    expected = first.sort("week_start").select("week_start", pl.col("n").cast(pl.Int64))
    assert got.select("week_start", "n").equals(expected)


def test_surge_scores_are_the_same_to_the_last_bit_whatever_the_order_of_their_history():
    """The weeks before come from a table read back without order: a sum over them in another order differed in
    the last bits (at ten million records a rerun of the weekly job changed 108,213 stored p-values so). Counts
    over-dispersed, so the dispersion the sums estimate is not 0."""
    rng = np.random.default_rng(11)
    weeks = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(16)]
    series = [(f"G{g}", t) for g in range(8) for t in (1, 2, 3)]
    history = pl.DataFrame(
        [
            {"grid_id": g, "theme_id": t, "week_start": w, "n": int(rng.poisson(rng.gamma(0.5, 12.0))) + 1,
             "expected": float(rng.gamma(4.0, 1.7)), "is_alert": bool(rng.random() < 0.4)}
            for g, t in series
            for w in weeks[:12]
        ]
    )  # fmt: skip
    cells = pl.DataFrame(
        [
            {"grid_id": g, "theme_id": t, "week_start": w, "n": int(rng.poisson(6.0))}
            for g, t in series
            for w in weeks[12:]
        ]
    )
    start = weeks[0]
    scored = [score_surges(cells, history=h, start=start) for h in _orders(history)]
    for other in scored[1:]:
        assert_frame_equal(scored[0], other, check_exact=True)
