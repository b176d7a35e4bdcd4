"""Signal charts: tidy frames in, plotly figures out, sized for a page that must stay small."""

import datetime as dt
import functools
import re

import polars as pl
import pytest
from tests.figures import figure_strings

import demandlab as dl


def test_the_hot_issue_timeline_draws_one_dot_per_issue_and_day():
    hot = pl.DataFrame(
        {
            "hot_id": ["a", "b"],
            "place": ["九龙府", "纺织小区"],
            "theme_label": ["夜间施工 · 工地", "油烟 · 饭店"],
            "n": [3, 2],
            "first_at": [dt.datetime(2026, 1, 1)] * 2,
            "last_at": [dt.datetime(2026, 2, 1)] * 2,
        }
    )
    day = dt.datetime(2026, 1, 1)
    records = pl.DataFrame(
        {
            "hot_id": ["a", "a", "a", "b", "b"],
            "created_at": [day, day + dt.timedelta(hours=6), day + dt.timedelta(days=31), day, day],
            "likes": [0, 3, None, 0, 0],
        }
    )
    fig = dl.charts.hot_issue_timeline(hot, records)
    bars, dots = fig.data[:2], fig.data[-1]
    assert [b.y[0] for b in bars] == ["九龙府｜夜间施工", "纺织小区｜油烟"]
    assert list(dots.text) == ["2件，点赞3", "1件", "2件"]  # a's two calls on 1 January are one dot
    assert dots.marker.size[0] > dots.marker.size[1]


def test_kpi_small_multiples_round_what_they_plot():
    frame = pl.DataFrame(
        {"dept": ["物业公司"], "response_rate": [0.005172413793103448], "hours_to_close_median": [37.81]}
    )
    fig = dl.charts.kpi_small_multiples(frame, "dept", {"response_rate": "响应率", "hours_to_close_median": "办结时长"})
    assert list(fig.data[0].x) == [0.0052] and list(fig.data[1].x) == [37.8]  # bars lie down: values on x


HOSTILE = [
    '<a href="http://listener.example/x">东湖网格</a>',
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:#fff">遮罩</span>',
    "<b>物业</b>公司 & 城管局",
    "第一网格<br>第二网格",
    "换\n行",
]
#: what our own hover templates may hold; no other "<" may reach a figure
OWN_TAGS = re.compile(r"<br>|<extra>|</extra>")


@functools.cache
def _hostile_figures() -> dict:
    weeks = ["2026-W45", "2026-W46"]
    labels = [HOSTILE[i % len(HOSTILE)] for i in range(len(HOSTILE))]
    long = pl.DataFrame(
        {
            "iso_week": weeks * len(labels),
            "label": [x for x in labels for _ in weeks],
            "n": list(range(2 * len(labels))),
            "baseline_mean": [1.5] * (2 * len(labels)),
        }
    )
    day = dt.datetime(2026, 11, 2)
    hot = pl.DataFrame(
        {
            "hot_id": [f"h{i}" for i in range(len(labels))],
            "place": labels,
            "theme_label": [f"{x} · 噪音" for x in reversed(labels)],
            "n": [3] * len(labels),
            "first_at": [day] * len(labels),
            "last_at": [day + dt.timedelta(days=5)] * len(labels),
        }
    )
    dots = pl.DataFrame({"hot_id": [f"h{i}" for i in range(len(labels))], "created_at": [day] * len(labels)})
    kpi = pl.DataFrame({"dept": labels, "response_rate": [0.5] * len(labels), "hours_to_close_median": [3.0] * 5})
    alerts = pl.DataFrame({"iso_week": ["2026-W46"], "kind": [HOSTILE[0]], "evidence": [HOSTILE[1]]})
    return {
        "theme_trends": dl.charts.theme_trends(long.rename({"label": "theme_label"}), title=HOSTILE[2]),
        "grid_small_multiples": dl.charts.grid_small_multiples(long.rename({"label": "grid_label"})),
        "grid_theme_heatmap": dl.charts.grid_theme_heatmap(
            long.rename({"label": "grid_label"}).with_columns(theme_label=pl.col("grid_label").reverse())
        ),
        "alert_trend": dl.charts.alert_trend(long.head(2).select("iso_week", "n"), alerts, title=HOSTILE[0]),
        "hot_issue_timeline": dl.charts.hot_issue_timeline(hot, dots),
        "kpi_small_multiples": dl.charts.kpi_small_multiples(
            kpi, "dept", {"response_rate": HOSTILE[3], "hours_to_close_median": "办结时长"}
        ),
        "sparkline": dl.charts.sparkline(long.head(2).with_columns(iso_week=pl.lit(HOSTILE[3] + HOSTILE[4]))),
        "weekly_totals": dl.charts.weekly_totals(
            pl.DataFrame({"iso_week": [HOSTILE[0], HOSTILE[2]], "n_12345": [3, 4]})
        ),
        "rates": dl.charts.rates(
            pl.DataFrame(
                {"iso_week": [HOSTILE[1]], "response_rate": [0.5], "resolution_rate": [0.5], "satisfaction_rate": [1.0]}
            )
        ),
    }


CHARTS = [
    "theme_trends",
    "grid_small_multiples",
    "grid_theme_heatmap",
    "alert_trend",
    "hot_issue_timeline",
    "kpi_small_multiples",
    "sparkline",
    "weekly_totals",
    "rates",
]


def test_every_chart_is_tried_with_hostile_labels():
    drawn = {name for name in dir(dl.charts) if callable(getattr(dl.charts, name)) and not name.startswith("_")}
    figures = {n for n in drawn if getattr(getattr(dl.charts, n), "__annotations__", {}).get("return") == "go.Figure"}
    assert figures == set(CHARTS) == set(_hostile_figures())


@pytest.mark.parametrize("name", CHARTS)
def test_no_markup_from_the_data_reaches_a_figure(name):
    fig = _hostile_figures()[name]
    strings = list(figure_strings(fig.to_plotly_json()))
    for key, text in strings:
        left = OWN_TAGS.sub("", text) if key == "hovertemplate" else text
        assert "<" not in left and ">" not in left and "\n" not in left, (name, key, text)
    # the labels are kept, as text: plotly shows the entities as the characters they stand for
    shown = " ".join(text for _, text in strings)
    assert "&lt;" in shown and "&gt;" in shown, name


def test_plain_text_escapes_once_and_keeps_the_words():
    assert dl.charts.plain_text("<b>物业</b>公司 & 城管局") == "&lt;b&gt;物业&lt;/b&gt;公司 &amp; 城管局"
    assert dl.charts.plain_text("东湖街道") == "东湖街道" and dl.charts.plain_text(None) is None
    frame = dl.charts._plain(pl.DataFrame({"a": ["<i>x</i>", None], "n": [1, 2]}), "a", "n")
    assert frame.to_dict(as_series=False) == {"a": ["&lt;i&gt;x&lt;/i&gt;", None], "n": [1, 2]}
