"""Signal charts: tidy frames in, plotly figures out, sized for a page that must stay small."""

import datetime as dt

import polars as pl

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
    assert list(fig.data[0].y) == [0.0052] and list(fig.data[1].y) == [37.8]
