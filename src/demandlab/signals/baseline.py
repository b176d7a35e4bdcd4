"""Is this week's count improbably high against the series' own trailing weeks? The test surges and 多人同诉 share.

A *series* is one unit (a grid, a place) × one group (a theme), counted per ISO week: records for
surges, distinct people for 多人同诉. Series are sparse: a series × week without a row counts 0, and
only series with a count in the window or the week are looked at, so the cost is that of the rows,
never of units × groups × weeks. Weeks are tested in order, each against its own trailing window:

* **baseline**: the series' counts in the ``window`` weeks before (``gap`` weeks left out between,
  for a test window longer than a week); weeks that were themselves alerted count at their
  expected value, so a run of alerts does not raise its own baseline and hide its later weeks;
* **prior**: the weekly rate λ has a gamma prior centred on the group's district rate per unit
  over the same weeks (units with any count in the window or the week), worth as many weeks of
  data as the units' rates are alike (empirical Bayes: m / Var(λ) from the moments of the units'
  window totals, less their Poisson and over-dispersed parts), at most ``prior_weeks``: a series
  with little history is judged against the district, one with a long history against itself,
  and a busy compound is not pulled down to the district's average; the posterior is
  Gamma(α, β), α = prior·weight + Σ baseline, β = weight + weeks;
* **district movement**: the expectation is scaled by the group's movement this week on the
  *other* units (``(others now + s) / (others' mean + s)``, s = ``seasonal_shrink``, at least
  0.5, never capped): what rises everywhere at once is season, not local;
* **over-dispersion**: real weekly counts vary more than Poisson around a steady rate (a theme
  mixes problems, people call in waves), and the surplus grows with the rate. Each group's
  dispersion φ (Var = μ + φμ²) is estimated every week from its own window: the Pearson
  residuals of the series' counts against series × week effects, less the Poisson part, over the
  squared expectations (moment estimate, corrected for the fitted series means), pooled over all
  groups with the weight of ``dispersion_prior`` expected squares so a thin group borrows the
  district's. The predictive is negative binomial with mean μ and size
  ``r = α' / (1 + φ(α' + 1))``, ``α' = α / (1 + φ·α/β)``: the gamma–Poisson predictive when φ = 0,
  and one whose variance grows as μ² when the rate is high, so false alarms per series do not grow
  with density;
* **test**: a row is tested when it is eligible, its value reaches ``floor`` and the series has
  ``min_history`` weeks of data before; its p-value is the predictive's upper tail. Across the
  week's series of one *family* (every series with a count in the window or the week: the untested
  ones have p = 1), q-values are Benjamini–Hochberg's; a row is an alert when q ≤ ``fdr``. A family
  is a street (the unit's 街道) when the caller says which street each unit is in, else the
  district: a district that grows by streets then keeps the bar a week must pass where it was,
  instead of raising it with every street added (at 3,000,000 records a district-wide family
  held 60,000 series a week, a street's about 1,500), and the false discoveries expected stay
  ``fdr`` of each street's alerts.

:func:`weekly_tests` is the engine; :func:`benjamini_hochberg` and :func:`nb_upper_tail` its parts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import nbinom

#: Columns :func:`weekly_tests` adds to the rows it tests.
TEST_COLUMNS = ("baseline", "expected", "dispersion", "p_value", "q_value", "tested", "is_alert")


@dataclass(frozen=True)
class Baseline:
    """How a weekly count is compared with its series' own trailing weeks (see the module docstring)."""

    window: int = 12  # trailing weeks
    gap: int = 0  # weeks between the baseline and the tested week (a 14-day window: 1)
    prior_weeks: float = 4.0
    min_history: int = 4  # weeks of data a series needs before a week is tested
    floor: int = 3  # a value below this is never tested
    fdr: float = 0.01
    seasonal_shrink: float = 5.0
    dispersion_prior: float = 20.0  # pooled-dispersion weight, in expected squared counts
    overdispersion: bool = True  # False: the gamma–Poisson predictive (variance ≈ μ at high rates)
    scale: float = 1.0  # the tested value's window in weeks (crowd_days / 7)


def benjamini_hochberg(p: np.ndarray, m: int | None = None) -> np.ndarray:
    """q-values (BH step-up adjusted p-values) of ``p``; ``m``: the number of hypotheses when ``p`` holds only
    those tested (the others have p = 1 and are never rejected), default ``len(p)``.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5])).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03]), m=4).round(3).tolist()
    [0.04, 0.053, 0.053]
    """
    if len(p) == 0:
        return p
    m = max(m or len(p), len(p))
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(len(p))
    out[order] = np.minimum(q, 1.0)
    return out


def nb_upper_tail(value: np.ndarray, mu: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray):
    """P(Y ≥ value) under the predictive of the module docstring: mean ``mu``, posterior Gamma(α, β) of the
    rate, dispersion ``phi`` (0: gamma–Poisson).

    >>> float(nb_upper_tail(np.array([10]), np.array([2.0]), np.array([24.0]), np.array([12.0]), np.array([0.0]))[0])
    0.000128...
    >>> bool(nb_upper_tail(np.array([40]), np.array([20.0]), np.array([240.0]), np.array([12.0]), np.array([0.2]))[0]
    ...      > nb_upper_tail(np.array([40]), np.array([20.0]), np.array([240.0]), np.array([12.0]), np.array([0.0]))[0])
    True
    """
    alpha = np.maximum(alpha, 1e-9)
    mean = alpha / beta
    alpha_eff = alpha / (1.0 + phi * mean)
    size = alpha_eff / (1.0 + phi * (alpha_eff + 1.0))
    return nbinom.sf(value - 1, size, size / (size + np.maximum(mu, 1e-12)))


def _codes(frame: pl.DataFrame, columns: list[str], name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame`` with an integer code per distinct ``columns`` value (in sorted order: no dependence on row order)."""
    levels = frame.select(columns).unique().sort(columns).with_row_index(name).with_columns(pl.col(name).cast(pl.Int64))
    return frame.join(levels, on=columns, how="left", maintain_order="left"), levels


def _dispersion(
    codes: np.ndarray, weeks: np.ndarray, values: np.ndarray, hist: np.ndarray, group_of: np.ndarray, n_groups: int,
    n_weeks: int, prior: float,
) -> np.ndarray:  # fmt: skip
    """Each group's φ from its window rows (``codes`` series, ``weeks`` 0…n_weeks−1, ``values``), see the module
    docstring; ``hist``: each series' window total."""
    if n_weeks < 2 or len(codes) == 0:
        return np.zeros(n_groups)
    group = group_of[codes]
    totals = np.zeros((n_groups, n_weeks))
    np.add.at(totals, (group, weeks), values)
    total = totals.sum(axis=1)
    share = np.divide(totals, total[:, None], out=np.zeros_like(totals), where=total[:, None] > 0)
    expected = hist[codes] * share[group, weeks]
    squares = np.bincount(group, values * values, n_groups)
    cross = np.bincount(group, values * expected, n_groups)
    series = np.flatnonzero(hist > 0)
    expected_sq = np.bincount(group_of[series], hist[series] ** 2, n_groups) * (share**2).sum(axis=1)
    pearson = (squares - 2 * cross + expected_sq) * n_weeks / (n_weeks - 1)
    surplus = pearson - total
    pooled = max(surplus.sum() / expected_sq.sum(), 0.0) if expected_sq.sum() > 0 else 0.0
    return np.maximum((surplus + prior * pooled) / (expected_sq + prior), 0.0)


def _prior_weeks(
    hist: np.ndarray, group_of: np.ndarray, n_groups: int, group_hist: np.ndarray, n_units: int, span: int,
    phi: np.ndarray, most: float,
) -> np.ndarray:  # fmt: skip
    """Each group's prior weight in weeks: how alike its units' rates are (empirical Bayes, moments of the
    window totals over the units, zeros included), at most ``most``: where units differ a lot (an old compound
    raises ten times the heating complaints of a new one) the district rate says little about one of them."""
    mean = group_hist / n_units
    second = np.bincount(group_of, hist * hist, n_groups) / n_units
    rate = mean / span
    between = (second - mean * mean - mean - span * phi * rate * rate) / (span * span + span * phi)
    weight = np.divide(rate, between, out=np.full(n_groups, float(most)), where=between > 0)
    return np.clip(weight, 0.05, most)


def _families(levels: pl.DataFrame, unit: str, families: pl.DataFrame | None) -> np.ndarray:
    """Each series' family code (0 for all when ``families`` is None; units it does not name share one)."""
    if families is None or levels.height == 0:
        return np.zeros(levels.height, dtype=np.int64)
    named = families.select(unit, pl.col("family").cast(pl.String)).unique(unit, keep="first")
    of = levels.select(unit).join(named, on=unit, how="left", maintain_order="left")
    return _codes(of.with_columns(pl.col("family").fill_null("")), ["family"], "_f")[0]["_f"].to_numpy()


def weekly_tests(
    rows: pl.DataFrame,
    series: list[str],
    unit: str,
    group: str,
    weeks: list[dt.date],
    start: dt.date,
    test: Baseline = Baseline(),
    history: pl.DataFrame | None = None,
    families: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Test every row of ``rows`` whose week is in ``weeks`` against its series' trailing weeks.

    ``rows``: the ``series`` columns (which include ``unit`` and ``group``), ``week_start``, ``y`` (the
    week's count, > 0 or the series has a value), ``value`` (what is tested; ``y`` when absent) and
    ``eligible`` (default true). ``weeks``: the weeks to test, in order (a week without rows is fine).
    ``start``: the first week of the data (weeks before it are not history, they are nothing).
    ``history``: the ``series`` columns, ``week_start`` and ``clean`` (the count, an alerted week's at
    its expected value) of the weeks before ``weeks[0]``; rows before ``weeks[0]`` are ignored.
    ``families``: ``unit`` and ``family`` (a street), the family each unit's series are corrected in
    for multiple testing; units it does not name form one family (None: the whole district is one).
    Returns the rows of ``weeks`` with :data:`TEST_COLUMNS` (``baseline``: the cleaned weekly mean).
    """
    weeks = sorted(weeks)
    if "value" not in rows.columns:
        rows = rows.with_columns(value=pl.col("y"))
    if "eligible" not in rows.columns:
        rows = rows.with_columns(eligible=pl.lit(True))
    rows = rows.filter(pl.col("week_start").is_in(weeks)) if weeks else rows.clear()
    past = (
        history.select(*series, "week_start", pl.col("clean").cast(pl.Float64)).filter(
            pl.col("week_start") < weeks[0], pl.col("clean") > 0
        )
        if history is not None and weeks
        else pl.DataFrame(schema={**{c: rows.schema[c] for c in series}, "week_start": pl.Date, "clean": pl.Float64})
    )
    both = pl.concat([rows.select(series), past.select(series)], how="vertical_relaxed")
    _, levels = _codes(both, series, "_s")
    rows = rows.join(levels, on=series, how="left", maintain_order="left").sort("week_start", "_s")
    # in one order whatever order the history was read in: the window's sums below add in row order (last bits)
    past = past.join(levels, on=series, how="left").sort("week_start", "_s")
    n_series = levels.height
    unit_of = _codes(levels, [unit], "_u")[0]["_u"].to_numpy()
    group_of = _codes(levels, [group], "_g")[0]["_g"].to_numpy()
    n_units, n_groups = int(unit_of.max(initial=-1)) + 1, int(group_of.max(initial=-1)) + 1
    family_of = _families(levels, unit, families)
    n_families = int(family_of.max(initial=-1)) + 1
    clean: dict[dt.date, tuple[np.ndarray, np.ndarray]] = {
        w: (part["_s"].to_numpy(), part["clean"].to_numpy())
        for (w,), part in past.partition_by("week_start", as_dict=True).items()
    }
    per_week = dict(rows.partition_by("week_start", as_dict=True).items()) if rows.height else {}
    out = []
    for t in weeks:
        part = per_week.get((t,))
        if part is None:
            continue
        code = part["_s"].to_numpy()
        y = part["y"].to_numpy().astype(float)
        value = part["value"].to_numpy().astype(float)
        span = min(test.window, max(0, (t - start).days // 7 - test.gap))
        lags = range(test.gap + 1, test.gap + span + 1)
        window = [(k, clean[w]) for k, w in enumerate(t - dt.timedelta(weeks=lag) for lag in lags) if w in clean]
        win_code = np.concatenate([c for _, (c, _) in window]) if window else np.zeros(0, dtype=np.int64)
        win_value = np.concatenate([v for _, (_, v) in window]) if window else np.zeros(0)
        win_week = np.concatenate([np.full(len(c), k) for k, (c, _) in window]) if window else np.zeros(0, int)
        hist = np.bincount(win_code, win_value, n_series)
        now = np.bincount(code, y, n_series)
        active = np.zeros(n_series, dtype=bool)
        active[win_code] = True
        active[code] = True
        units = np.zeros(n_units, dtype=bool)
        units[unit_of[active]] = True
        g = group_of[code]
        baseline = hist[code] / span if span else np.full(len(code), np.nan)
        expected = np.full(len(code), np.nan)
        p = np.ones(len(code))
        phi = np.zeros(len(code))
        tested = np.zeros(len(code), dtype=bool)
        alert = np.zeros(len(code), dtype=bool)
        if span:
            group_hist = np.bincount(group_of, hist, n_groups)
            n_active = max(int(units.sum()), 1)
            prior = group_hist / (span * n_active)
            phi_group = np.zeros(n_groups)
            if test.overdispersion:
                phi_group = _dispersion(
                    win_code, win_week, win_value, hist, group_of, n_groups, span, test.dispersion_prior
                )
                phi = phi_group[g]
            weight = _prior_weeks(hist, group_of, n_groups, group_hist, n_active, span, phi_group, test.prior_weeks)
            alpha = prior[g] * weight[g] + hist[code]
            beta = weight[g] + span
            own = hist[code] / span
            others_now = np.bincount(group_of, now, n_groups)[g] - now[code]
            others_mean = group_hist[g] / span - own
            shrink = test.seasonal_shrink
            # no upper bound: a theme that rises 70-fold in its season's first week does so in every grid
            factor = np.maximum((others_now + shrink) / (others_mean + shrink), 0.5)
            mu = factor * alpha / beta
            expected = mu * test.scale
            tested = part["eligible"].to_numpy() & (value >= test.floor) & (span >= test.min_history) & (alpha > 0)
            if tested.any():
                p[tested] = nb_upper_tail(value[tested], expected[tested], alpha[tested], beta[tested], phi[tested])
        q = np.ones(len(code))
        if tested.any():
            # a family is every series of its units looked at this week (a count in the window or the week)
            looked_at = np.bincount(family_of[active], minlength=n_families)
            family = family_of[code]
            for f in np.unique(family[tested]):
                chosen = tested & (family == f)
                q[chosen] = benjamini_hochberg(p[chosen], int(looked_at[f]))
        alert = tested & (q <= test.fdr)
        if alert.any():  # the week counts at its expected value (as stored: expected / scale, read back alike)
            y = np.where(alert, np.minimum(y, expected / test.scale), y)
        keep = y > 0
        clean[t] = (code[keep], y[keep])
        for old in [w for w in clean if w <= t - dt.timedelta(weeks=test.window + test.gap)]:
            del clean[old]
        out.append(
            part.drop("_s").with_columns(
                pl.Series("baseline", baseline, pl.Float64),
                pl.Series("expected", expected, pl.Float64),
                pl.Series("dispersion", phi, pl.Float64),
                pl.Series("p_value", p, pl.Float64),
                pl.Series("q_value", q, pl.Float64),
                pl.Series("tested", tested, pl.Boolean),
                pl.Series("is_alert", alert, pl.Boolean),
            )
        )
    if not out:
        schema = {**rows.drop("_s").schema, "baseline": pl.Float64, "expected": pl.Float64}
        schema |= {"dispersion": pl.Float64, "p_value": pl.Float64, "q_value": pl.Float64}
        return pl.DataFrame(schema=schema | {"tested": pl.Boolean, "is_alert": pl.Boolean})
    return pl.concat(out, how="vertical")


__all__ = ["TEST_COLUMNS", "Baseline", "benjamini_hochberg", "nb_upper_tail", "weekly_tests"]
