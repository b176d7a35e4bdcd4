"""Surge alerts and 多人同诉 against each series' own baseline (over-dispersion, Benjamini–Hochberg), 一人多诉, on
small hand-made inputs."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from demandlab.signals import (
    ALERT_COLUMNS,
    CrowdModel,
    SurgeModel,
    benjamini_hochberg,
    crowd_alerts,
    repeat_caller_alerts,
    score_surges,
    surge_alerts,
)

MONDAY = dt.date(2026, 1, 5)
WEEKS = [MONDAY + dt.timedelta(weeks=i) for i in range(30)]


def _cells(counts: dict[tuple[str, int], list[int]]) -> pl.DataFrame:
    rows = [
        {"grid_id": g, "theme_id": t, "week_start": w, "n": n}
        for (g, t), series in counts.items()
        for w, n in zip(WEEKS, series, strict=True)
    ]
    return pl.DataFrame(rows)


def _background(rng: np.random.Generator, grids: int = 40, rate: float = 0.5) -> dict:
    return {(f"G{i:02d}", 1): rng.poisson(rate, len(WEEKS)).tolist() for i in range(grids)}


def test_a_jump_far_above_the_grids_own_history_is_an_alert_in_every_week_it_lasts():
    rng = np.random.default_rng(0)
    counts = _background(rng)
    counts[("G00", 1)] = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 9, 12, 10, 0, 1, 0, 0, 1, 0, 0]
    scored = score_surges(_cells(counts)).filter(pl.col("grid_id") == "G00")
    alerted = scored.filter("is_alert")["week_start"].to_list()
    # the third surge week is judged against a baseline that does not include the first two
    assert alerted == WEEKS[20:23]
    assert scored.filter(pl.col("week_start") == WEEKS[22])["baseline"][0] < 1


def test_a_rise_in_every_grid_at_once_is_season_not_a_surge():
    rng = np.random.default_rng(1)
    counts = {(f"G{i:02d}", 2): ([0] * 20 + [4, 5, 4, 5, 4, 5, 4, 5, 4, 5]) for i in range(30)}
    counts.update(_background(rng))
    scored = score_surges(_cells(counts))
    assert not scored.filter(pl.col("theme_id") == 2)["is_alert"].any()


def test_small_counts_are_never_tested():
    counts = {("G00", 1): [0] * 25 + [2, 0, 0, 0, 0], ("G01", 1): [0] * 30}
    scored = score_surges(_cells(counts), SurgeModel(min_count=3))
    assert not scored["tested"].any() and not scored["is_alert"].any()
    assert scored["p_value"].max() == 1.0


def test_pure_noise_gives_almost_no_alerts():
    rng = np.random.default_rng(2)
    counts = {(f"G{i:02d}", t): rng.poisson(0.3 + t, len(WEEKS)).tolist() for i in range(60) for t in range(4)}
    scored = score_surges(_cells(counts))
    assert scored["is_alert"].sum() <= scored.height / 500


def test_benjamini_hochberg_matches_the_step_up_rule():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    q = benjamini_hochberg(p)
    assert (q <= 0.05).sum() == 2  # the classic example: only the first two survive at 5 %
    assert q == pytest.approx([0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.0846, 0.205], abs=1e-4)


def _records(rows: list[tuple]) -> pl.DataFrame:
    """rows: (record_id, day offset, contact, place_key, theme_id, grid_id)."""
    start = dt.datetime(2026, 3, 2, 9)
    frame = pl.DataFrame(
        [
            {
                "source": "12345",
                "record_id": rid,
                "created_at": start + dt.timedelta(days=day),
                "contact_key": contact,
                "place_key": place,
                "place": place,
                "theme_id": theme,
                "theme_label": f"主题{theme}",
                "category": "噪音" if theme < 10 else "停车",
                "grid_id": grid,
                "street": "东湖街道",
                "community": "翠湖社区",
            }
            for rid, day, contact, place, theme, grid in rows
        ]
    )
    return frame.with_columns(
        week_start=pl.col("created_at").dt.truncate("1w").dt.date(),
        iso_week=pl.col("created_at").dt.strftime("%G-W%V"),
    )


def _quiet_weeks(place: str, weeks: int = 10, per_week: int = 1, theme: int = 1, grid: str = "G1") -> list[tuple]:
    """``per_week`` people a week at ``place`` in the ``weeks`` weeks before 2026-03-02 (history for a baseline)."""
    return [
        (f"{place}-{w}-{k}", -7 * w + k, f"{place}{w}{k}", place, theme, grid)
        for w in range(1, weeks + 1)
        for k in range(per_week)
    ]


def test_many_people_on_one_matter_at_a_quiet_place_within_days_is_a_crowd_alert():
    rows = _quiet_weeks("翠湖") + _quiet_weeks("秀水")
    rows += [(f"r{i}", i % 5, f"c{i}", "翠湖", 1, "G1") for i in range(6)]  # 6 people in 5 days
    rows += [(f"s{i}", 7 * i, f"d{i}", "秀水", 1, "G2") for i in range(6)]  # 6 people, one a week
    rows += [("t0", 1, "c0", "翠湖", 2, "G1")]
    alerts = crowd_alerts(_records(rows), CrowdModel(min_people=5, days=7))
    assert alerts.schema == pl.Schema(ALERT_COLUMNS)
    assert alerts["place"].to_list() == ["翠湖"]
    alert = alerts.row(0, named=True)
    assert alert["n_contacts"] == 6 and alert["iso_week"] == "2026-W10"
    assert sorted(alert["records"]) == [f"12345:r{i}" for i in range(6)]
    assert alert["baseline"] == pytest.approx(1.0) and alert["p_value"] < 0.01 and alert["q_value"] <= 0.01
    assert "此处平时7天约1.0人" in alert["evidence"]


def test_a_crowd_is_judged_among_its_streets_places_not_the_whole_districts():
    """Five people in five days at a quiet compound, beside 300 quiet compounds of another street: among all
    301 places the week is not improbable enough (q 0.086); among its own street's one it is (q = p)."""
    rows = _quiet_weeks("翠湖") + [r for i in range(300) for r in _quiet_weeks(f"小区{i:03d}")]
    rows += [(f"r{i}", i % 5, f"c{i}", "翠湖", 1, "G1") for i in range(5)]
    streets = pl.DataFrame({"place_key": ["翠湖", *(f"小区{i:03d}" for i in range(300))]}).with_columns(
        family=pl.when(pl.col("place_key") == "翠湖").then(pl.lit("东湖街道")).otherwise(pl.lit("西湖街道"))
    )
    model = CrowdModel(min_people=5, days=7)
    assert crowd_alerts(_records(rows), model).is_empty()
    alert = crowd_alerts(_records(rows), model, families=streets).row(0, named=True)
    assert alert["place"] == "翠湖" and alert["n_people"] == 5 and alert["q_value"] == pytest.approx(alert["p_value"])


def test_a_busy_place_at_its_usual_level_is_no_crowd_however_many_people():
    """The fixed rule (≥ 5 people in 7 days) alerts a compound that always has a dozen; its own baseline does not."""
    rng = np.random.default_rng(4)
    rows = [
        (f"b{w}-{k}", 7 * w + k % 7, f"p{w}-{k}", "万科城", 1, "G1")
        for w in range(-12, 1)
        for k in range(int(rng.poisson(12)))
    ]
    records = _records(rows)
    assert crowd_alerts(records, CrowdModel(relative=False)).height >= 10  # the floor alone: nearly every week
    assert crowd_alerts(records, CrowdModel()).is_empty()


def test_a_busy_place_far_above_its_usual_level_is_a_crowd():
    rng = np.random.default_rng(5)
    rows = [
        (f"b{w}-{k}", 7 * w + k % 7, f"p{w}-{k}", "万科城", 1, "G1")
        for w in range(-12, 0)
        for k in range(int(rng.poisson(12)))
    ]
    rows += [(f"n{k}", k % 7, f"q{k}", "万科城", 1, "G1") for k in range(40)]
    alerts = crowd_alerts(_records(rows), CrowdModel())
    assert alerts["iso_week"].to_list() == ["2026-W10"] and alerts["n_people"].to_list() == [40]


def test_fewer_people_than_the_floor_are_never_a_crowd():
    rows = _quiet_weeks("翠湖", per_week=0) + _quiet_weeks("秀水")
    rows += [(f"r{i}", i, f"c{i}", "翠湖", 1, "G1") for i in range(4)]  # 4 people where there were none
    assert crowd_alerts(_records(rows), CrowdModel(min_people=5)).is_empty()
    assert crowd_alerts(_records(rows), CrowdModel(min_people=4))["n_people"].to_list() == [4]


def test_the_same_contact_calling_five_times_is_one_contact_not_a_crowd():
    rows = [(f"r{i}", i, "same", "翠湖", 1, "G1") for i in range(6)]
    assert crowd_alerts(_records(rows), CrowdModel(min_people=5, relative=False)).is_empty()


def test_crowd_alerts_of_recent_weeks_from_the_stored_ones_before_equal_those_of_one_pass():
    """Alerted weeks count at their expected value and runs go on counting, read back from what was stored."""
    rng = np.random.default_rng(6)
    rows = [
        (f"b{w}-{p}-{k}", 7 * w + k % 7, f"p{w}-{p}-{k}", p, 1, "G1")
        for w in range(-20, 1)
        for p in ("翠湖", "秀水", "春江")
        for k in range(int(rng.poisson(2)))
    ]
    rows += [(f"x{w}-{k}", 7 * w + k % 7, f"x{w}-{k}", "翠湖", 1, "G1") for w in (-3, -2, -1, 0) for k in range(12)]
    records = _records(rows)
    whole = crowd_alerts(records)
    assert whole.filter(pl.col("place") == "翠湖")["weeks_running"].sort().to_list() == [1, 2, 3, 4]
    first = dt.date(2026, 2, 16)  # two alerted weeks before, two after
    before = whole.filter(pl.col("week_start") < first)
    recent = crowd_alerts(records, first_week=first, previous=before, start=records["week_start"].min())
    assert_frame_equal(recent.sort("alert_id"), whole.filter(pl.col("week_start") >= first).sort("alert_id"))


def test_surge_scores_of_recent_weeks_from_the_stored_history_equal_those_of_one_pass():
    rng = np.random.default_rng(7)
    counts = _background(rng, rate=2.0)
    counts[("G00", 1)] = [2] * 14 + [15, 18, 16, 2] + [2] * 12
    cells = _cells(counts)
    whole = score_surges(cells)
    assert whole.filter(pl.col("grid_id") == "G00").filter("is_alert")["week_start"].to_list() == WEEKS[14:17]
    first = WEEKS[16]
    history = whole.filter(pl.col("week_start").is_between(first - dt.timedelta(weeks=12), first, closed="left"))
    recent = score_surges(cells.filter(pl.col("week_start") >= first), history=history, start=WEEKS[0])
    assert_frame_equal(recent, whole.filter(pl.col("week_start") >= first))


def _negative_binomial(rng: np.random.Generator, mean: float, phi: float, size) -> np.ndarray:
    """Counts with mean ``mean`` and variance mean + phi·mean² (a gamma-mixed Poisson)."""
    return rng.poisson(rng.gamma(1 / phi, mean * phi, size=size))


@pytest.mark.parametrize("rate", [2.0, 50.0, 200.0])
def test_false_surges_per_grid_week_do_not_grow_with_the_rate_when_counts_vary_more_than_poisson(rate):
    """Weekly counts around a steady rate with 25 % extra-Poisson spread: the gamma–Poisson test alerts ever more
    of them as the rate grows; the one that estimates each theme's dispersion stays below 1 in 500 grid-weeks."""
    rng = np.random.default_rng(int(rate))
    counts = {(f"G{i:02d}", 1): _negative_binomial(rng, rate, 0.25**2, len(WEEKS)).tolist() for i in range(60)}
    cells = _cells(counts)
    dispersed = score_surges(cells)["is_alert"].sum()
    poisson = score_surges(cells, SurgeModel(overdispersion=False))["is_alert"].sum()
    assert dispersed <= len(counts) * len(WEEKS) / 500
    if rate >= 50:
        assert poisson > 20 * max(dispersed, 1)


def test_a_season_starting_a_hundredfold_in_every_grid_is_no_surge_in_its_busiest_grids():
    """The theme's movement in the other grids was capped at tenfold: a heating season starting a hundredfold
    made a surge of every grid that raises more than its share (32 alerts here; found at 1M records)."""
    rng = np.random.default_rng(11)
    share = rng.lognormal(0, 1.0, 60)
    counts = {
        (f"G{i:02d}", 1): [int(rng.poisson((0.03 if w < 20 else 3.0) * share[i])) for w in range(len(WEEKS))]
        for i in range(60)
    }
    assert score_surges(_cells(counts))["is_alert"].sum() == 0


def test_a_busy_grid_is_judged_against_itself_not_pulled_to_the_district_average():
    """Grids whose rates differ tenfold: a prior worth four weeks of the district's average rate pulled a busy
    grid's expectation down and made its ordinary weeks surges (24 alerts here); the prior's weight now
    follows how alike the grids are."""
    rng = np.random.default_rng(12)
    rates = 20 * rng.lognormal(0, 1.0, 80)
    counts = {(f"G{i:02d}", 1): rng.poisson(rates[i], len(WEEKS)).tolist() for i in range(80)}
    assert score_surges(_cells(counts))["is_alert"].sum() <= len(counts) * len(WEEKS) / 1000


def test_the_dispersion_of_a_theme_is_estimated_from_its_grids():
    rng = np.random.default_rng(8)
    counts = {(f"G{i:02d}", 1): _negative_binomial(rng, 50.0, 0.1, len(WEEKS)).tolist() for i in range(80)}
    counts |= {(f"G{i:02d}", 2): rng.poisson(50.0, len(WEEKS)).tolist() for i in range(80)}
    scored = score_surges(_cells(counts)).filter(pl.col("week_start") >= WEEKS[12])
    phi = scored.group_by("theme_id").agg(pl.col("dispersion").median()).sort("theme_id")["dispersion"].to_list()
    assert phi[0] == pytest.approx(0.1, abs=0.04) and phi[1] < 0.01


def test_benjamini_hochberg_counts_the_untested_hypotheses():
    p = np.array([0.001, 0.008])
    assert benjamini_hochberg(p, m=8) == pytest.approx([0.008, 0.032])
    assert benjamini_hochberg(p) == pytest.approx([0.002, 0.008])


def _two_streets(jump: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A street of 10 quiet grids, one of them jumping to ``jump`` records in week 20, beside a street of 1,500."""
    rng = np.random.default_rng(5)
    counts = {(f"A{i:02d}", 1): rng.poisson(0.5, len(WEEKS)).tolist() for i in range(10)}
    counts |= {(f"B{i:04d}", 1): rng.poisson(0.5, len(WEEKS)).tolist() for i in range(1500)}
    counts[("A00", 1)] = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, jump, 0, 0, 0, 1, 0, 0, 1, 0, 0]
    streets = pl.DataFrame({"grid_id": [g for g, _ in counts], "family": [f"{g[0]}街道" for g, _ in counts]})
    return _cells(counts), streets


def test_a_surge_is_judged_among_its_streets_series_not_the_whole_districts():
    """Benjamini–Hochberg over a week's series: among 1,510 a jump to 6 in a quiet grid is not enough (q 0.025),
    among its own street's 10 it is (q 0.00017); the other street's 1,500 grids stay quiet either way."""
    cells, streets = _two_streets(6)
    district = score_surges(cells)
    by_street = score_surges(cells, families=streets)
    week = (pl.col("grid_id") == "A00") & (pl.col("week_start") == WEEKS[20])
    assert district.filter(week)["p_value"].item() == by_street.filter(week)["p_value"].item()
    assert not district.filter(week)["is_alert"].item() and by_street.filter(week)["is_alert"].item()
    assert by_street["is_alert"].sum() == 1 and district["is_alert"].sum() == 0
    # a p-value a street's family lets through is one it tests against its own series looked at: q = p × m / rank
    p = by_street.filter(week)["p_value"].item()
    assert by_street.filter(week)["q_value"].item() == pytest.approx(p * 10)


def test_one_family_for_every_grid_is_the_district_and_an_unnamed_grid_is_in_a_family_of_its_own_kind():
    cells, streets = _two_streets(6)
    district = score_surges(cells)
    assert_frame_equal(score_surges(cells, families=streets.with_columns(family=pl.lit("全区"))), district)
    # the quiet street's grids named, the jumping street's not: those form one family (m = 10) apart from B's
    unnamed = score_surges(cells, families=streets.filter(pl.col("family") == "B街道"))
    assert_frame_equal(unnamed, score_surges(cells, families=streets))


def test_one_contact_raising_one_matter_again_and_again_is_a_repeat_caller():
    rows = [(f"a{i}", 20 * i, "caller", "翠湖", 1 + i % 2, "G1") for i in range(4)]  # two noise themes, 1 category
    rows += [(f"b{i}", 300 * i, "other", "翠湖", 1, "G1") for i in range(3)]  # too far apart
    rows += [("c0", 1, "caller", "翠湖", 11, "G1")]  # another matter
    alerts = repeat_caller_alerts(_records(rows), min_records=3, gap_days=180)
    assert alerts.height == 1
    alert = alerts.row(0, named=True)
    assert alert["n"] == 4 and alert["category"] == "噪音"
    assert alert["records"] == [f"12345:a{i}" for i in range(4)]
    assert alert["alert_id"].startswith("R-")
    # the id names the episode's first record: a fifth call keeps it
    more = _records([*rows, ("a4", 80, "caller", "翠湖", 1, "G1")])
    assert repeat_caller_alerts(more)["alert_id"].to_list() == [alert["alert_id"]]


def test_surge_alerts_carry_their_records_and_evidence():
    rng = np.random.default_rng(3)
    counts = _background(rng)
    counts[("G00", 1)] = [0] * 20 + [8] + [0] * 9
    cells = _cells(counts).with_columns(
        iso_week=pl.col("week_start").dt.strftime("%G-W%V"), theme_label=pl.lit("噪音"), category=pl.lit("噪音")
    )
    surge_week = dt.datetime.combine(WEEKS[20], dt.time(10))
    records = _records([(f"x{i}", 0, f"c{i}", "翠湖", 1, "G00") for i in range(8)]).with_columns(
        created_at=pl.lit(surge_week), week_start=pl.lit(WEEKS[20])
    )
    alerts = surge_alerts(records, cells)
    assert alerts.height == 1
    alert = alerts.row(0, named=True)
    assert alert["kind"] == "surge" and alert["grid_id"] == "G00" and alert["n"] == 8
    assert len(alert["records"]) == 8 and alert["n_contacts"] == 8
    assert alert["p_value"] < 1e-4 and alert["q_value"] <= 0.01
    assert alert["evidence"].startswith("本周8件")
