"""Charts that tell the truth at any width (issue 16): hand-made frames in, what each figure promises out.

How the page then draws them at desk, phone and A4 widths is tested in the browser
(tests/report/test_report_browser.py).
"""

import math

import plotly.graph_objects as go
import polars as pl

from demandlab import chart_layout, charts

WEEKS = ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]


def test_the_heatmap_writes_every_count_colours_by_log_and_says_what_it_leaves_out():
    frame = pl.DataFrame(
        {
            "grid_label": ["翠竹社区第4网格"] * 2 + ["幸福社区第1网格"] * 2,
            "theme_label": ["夜间施工 噪音", "垃圾 清运"] * 2,
            "n": [45, 1, 0, 2],
        }
    )
    fig = charts.grid_theme_heatmap(frame, total_grids=112)
    heat = fig.data[0]
    assert fig.layout.title.text == "前2个网格（共112个）× 主要问题"
    assert [list(row) for row in heat.text] == [["45", "1"], ["", "2"]]  # 0 is left blank, as the note says
    assert "对数" in fig.layout.title.subtitle.text and heat.showscale is False
    # on a log scale 1 件 is a visible colour beside 45 (a linear scale put it at 2% of the range)
    assert heat.zmin == 0 and math.isclose(heat.z[0][1] / heat.zmax, math.log(2) / math.log(46), rel_tol=1e-3)
    assert heat.hovertext[0][0] == "翠竹社区第4网格｜夜间施工 噪音：45件"
    assert charts.grid_theme_heatmap(frame, total_grids=2).layout.title.text == "2个网格 × 主要问题"


def test_heatmap_labels_are_shortened_and_never_merged():
    long = ["明湖区东湖街道翠竹社区第4网格", "明湖区东湖街道翠竹社区第5网格"]
    frame = pl.DataFrame({"grid_label": long, "theme_label": ["噪音"] * 2, "n": [3, 4]})
    heat = charts.grid_theme_heatmap(frame).data[0]
    assert list(heat.y) == ["明湖区东…第4网格", "明湖区东…第5网格"]
    # two names whose short forms meet keep their full names: drawn as one category they shared a row
    assert chart_layout.shorten_all(["东湖街道第1网格", "东湖社区第1网格", "城管局"], 5) == [
        "东湖街道第1网格",
        "东湖社区第1网格",
        "城管局",
    ]


def test_count_axes_start_at_zero():
    counts = pl.DataFrame({"iso_week": WEEKS, "n_12345": [10, 11, 12, 14]})
    trend = pl.DataFrame({"iso_week": WEEKS, "theme_label": ["噪音"] * 4, "n": [10, 11, 12, 14]})
    panels = pl.DataFrame({"grid_label": ["第1网格"] * 4, "iso_week": WEEKS, "n": [10, 11, 12, 14]})
    panels = panels.with_columns(baseline_mean=pl.lit(11.0))
    assert charts.weekly_totals(counts).layout.yaxis.rangemode == "tozero"
    assert charts.theme_trends(trend).layout.yaxis.rangemode == "tozero"  # a trend from 10 read as a surge
    assert charts.grid_small_multiples(panels).layout.yaxis.rangemode == "tozero"


def test_rates_without_data_are_a_gap_labelled_no_data_never_zero():
    summary = pl.DataFrame(
        {
            "iso_week": WEEKS,
            "response_rate": [0.9, None, None, 0.8],
            "resolution_rate": [0.5, None, None, 0.6],
            "satisfaction_rate": [None, None, None, None],
        },
        schema_overrides={"satisfaction_rate": pl.Float64},
    )
    fig = charts.rates(summary)
    assert list(fig.data[0].y) == [0.9, None, None, 0.8]
    notes = [(a.x, a.text) for a in fig.layout.annotations]
    assert notes == [(fig.data[0].x[1], "无数据")]  # one note over the two empty weeks
    assert [t.name for t in fig.data] == ["响应率", "解决率", "满意率（无数据）"]


def test_kpi_bars_lie_down_name_every_unit_and_say_what_is_missing():
    frame = pl.DataFrame(
        {
            "dept": ["明湖区住房和城乡建设局", "城管局", "东湖街道办事处"],
            "response_rate": [0.95, None, 0.5],
            "grid_closed_share": [0.0, 0.0, 0.4],
            "hours_to_close_median": [None, None, None],
        },
        schema_overrides={"hours_to_close_median": pl.Float64},
    )
    metrics = {"response_rate": "响应率", "grid_closed_share": "网格内办结占比", "hours_to_close_median": "办结时长"}
    fig = charts.kpi_small_multiples(frame, "dept", metrics)
    bars = fig.data[0]
    assert bars.orientation == "h" and list(bars.y) == ["明湖区住…乡建设局", "城管局", "东湖街道办事处"]
    assert list(bars.x) == [0.95, None, 0.5] and list(bars.text) == ["95%", "", "50%"]
    assert bars.hovertext[0] == "明湖区住房和城乡建设局：95%" and bars.hovertext[1] == "城管局：无数据"
    titles = [a.text for a in fig.layout.annotations]  # the panel titles first
    assert titles[:3] == ["响应率", "网格内办结占比（2/3个为0）", "办结时长（无数据）"]
    missing = [(a.y, a.xref) for a in fig.layout.annotations if a.text == "无数据"]
    assert missing == [("城管局", "x")]  # in its panel, on its row; the all-empty panel says so in its title
    assert list(fig.layout.xaxis.range) == [0, 1] and fig.layout.xaxis.tickformat == ".0%"
    assert fig.layout.yaxis.showticklabels is True and fig.layout.yaxis2.showticklabels is False


def test_the_page_gets_its_hints_and_legends_keep_clear_of_subplot_titles():
    panels = pl.DataFrame({"grid_label": [f"第{i}网格" for i in range(4) for _ in WEEKS], "iso_week": WEEKS * 4})
    panels = panels.with_columns(n=pl.lit(3), baseline_mean=pl.lit(2.0))
    fig = charts.grid_small_multiples(panels, columns=3)
    assert fig.layout.meta["week_axes"] == ["xaxis", "xaxis2", "xaxis3", "xaxis4"]
    assert fig.layout.meta["grid"] == {"n": 4, "columns": 3, "panel": 150, "gap": 64, "hgap": 40}
    assert fig.layout.xaxis5.visible is False and fig.layout.yaxis6.visible is False  # no empty frames
    # the legend sits at the bottom, not on the first panel's title; the title band stays above the panels
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.margin.t >= charts.TITLE_PX + 22 and fig.layout.margin.b >= 40 + charts.LEGEND_PX
    assert fig.layout.height == 2 * 150 + 64 + fig.layout.margin.t + fig.layout.margin.b
    single = charts.weekly_totals(pl.DataFrame({"iso_week": WEEKS, "n_12345": [1] * 4, "n_visit": [2] * 4}))
    assert single.layout.meta["week_axes"] == ["xaxis"]
    assert single.layout.legend.y == 1 and single.layout.legend.yanchor == "bottom"
    assert single.layout.margin.t == charts.TITLE_PX + charts.LEGEND_PX


def test_no_data_notes_cover_each_run_of_empty_weeks():
    fig = go.Figure()
    series = [pl.Series([None, 1.0, None, None, None, 2.0, None])]
    chart_layout.no_data_notes(fig, list("abcdefg"), series)
    assert [a.x for a in fig.layout.annotations] == ["a", "d", "g"]
