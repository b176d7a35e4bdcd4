"""The whole pipeline on a small synthetic district, checked against what the generator planted."""

from __future__ import annotations

import re

import polars as pl

from demandlab.synth import SOURCE_VALUES


def _digits_joined(text: str) -> str:
    """Remove the separators people put inside numbers, so 138 0013-8000 reads 13800138000."""
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
    return re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", text)


def test_every_row_read_is_accepted_or_rejected_for_the_planted_reason(district, demo_run):
    store = demo_run["store"]
    for name, spec in district.truth["files"].items():
        batch = demo_run["batches"][name]
        assert batch.rows_read == batch.rows_accepted + batch.rows_rejected == spec["rows"]
        assert batch.rows_accepted == spec["accepted"]
        assert batch.reasons == spec["rejected"]
        rejects = store.sql("select row_number, reason from rejects where file_name = ? order by row_number", [name])
        assert rejects.rows() == sorted((b["row"], b["reason"]) for b in spec["bad_rows"])
    assert store.count("records") == district.truth["counts"]["records"]


def test_reject_messages_name_the_column_and_reason_in_chinese(demo_run):
    rejects = demo_run["store"].sql(
        "select column_name, reason, message from rejects where file_name = 'hotline_12345.csv'"
    )
    by_reason = {r: m for _, r, m in rejects.rows()}
    assert by_reason["missing_id"] == "工单编号：编号为空"
    assert by_reason["unknown_grid"] == "网格：不在网格登记表中"
    assert "作为重复行未导入" in by_reason["duplicate_id"]
    assert set(rejects["column_name"]) <= {"工单编号", "来电时间", "网格"}


def test_no_planted_phone_or_id_number_survives_anywhere(demo_run, truth_pii):
    store = demo_run["store"]
    numbers = truth_pii.filter(pl.col("type").is_in(["mobile", "landline", "id_number"]))["value"].to_list()
    numbers = {_digits_joined(n).removeprefix("+86").lstrip("+") for n in numbers}
    assert len(numbers) > 100
    haystacks = {
        "records": "\n".join(store.sql("select concat_ws(' ', title, text, address) as t from records")["t"].to_list()),
        "tokens": " ".join(store.sql("select tokens from tokens")["tokens"].to_list()),
        "mart_records": "\n".join(store.sql("select coalesce(text, '') as t from mart_records")["t"].to_list()),
        "themes": "\n".join(
            store.sql("select array_to_string(representatives, '\n') as t from themes")["t"].drop_nulls().to_list()
        ),
        "report": demo_run["report"].read_text("utf-8"),
    }
    for where, text in haystacks.items():
        flat = _digits_joined(text)
        leaked = [n for n in numbers if n in flat]
        assert not leaked, f"{len(leaked)} planted numbers survive in {where}, e.g. {leaked[:3]}"


def test_planted_names_plates_and_rooms_are_masked_in_records(demo_run, truth_pii):
    store = demo_run["store"]
    text = "\n".join(store.sql("select concat_ws(' ', title, text, address) as t from records")["t"].to_list())
    # a planted name can be part of a place's name (龙新 in 九龙新村): the places are blanked before looking
    places = sorted(set(store.sql("select compound from places")["compound"].drop_nulls()), key=len, reverse=True)
    text = re.sub("|".join(map(re.escape, places)), "□", text) if places else text
    names = truth_pii.filter(pl.col("type") == "name")["value"].to_list()
    plates = truth_pii.filter(pl.col("type") == "plate")["value"].to_list()
    assert names and plates
    assert [n for n in names if n in text] == []
    assert [p for p in plates if p.replace("·", "").replace(" ", "") in text.replace("·", "")] == []
    rooms = store.sql("select text from records where text like '%单元%室%'")["text"].to_list()
    assert all(re.search(r"单元\d{3,4}室", t) is None for t in rooms)


def test_each_planted_problem_mostly_falls_in_one_theme_that_its_keywords_name(district, demo_run, truth_records):
    store = demo_run["store"]
    assigned = store.sql("select source, record_id, theme_id from assignments")
    themes = {
        r["theme_id"]: r["keywords"] for r in store.sql("select theme_id, keywords from themes").iter_rows(named=True)
    }
    joined = truth_records.join(assigned, on=["source", "record_id"])
    assert joined.height == truth_records.height
    problems = {p["key"]: p for p in district.truth["problems"]}
    failures = []
    for (problem,), part in joined.group_by("problem"):
        if part.height < 40:  # seasonal problems can be rare in a small district
            continue
        top = part.group_by("theme_id").len().sort(["len", "theme_id"], descending=[True, False]).row(0, named=True)
        share = top["len"] / part.height
        words = {w for kw in themes[top["theme_id"]] for w in kw.split(" ")}
        named = any(k in w or w in k for k in problems[problem]["keywords"] for w in words if len(w) >= 2)
        if share < 0.5 or not named:
            failures.append((problem, round(share, 2), sorted(words)[:8]))
    assert not failures, failures


def test_planted_surges_show_in_the_grid_theme_week_mart(district, demo_run, truth_records):
    store = demo_run["store"]
    assigned = store.sql("select source, record_id, theme_id from assignments")
    mart = store.sql("select grid_id, theme_id, iso_week, n, baseline_mean from mart_grid_theme_week")
    surges = [e for e in district.truth["events"] if e["kind"] == "surge"]
    assert len(surges) >= 3
    for surge in surges:
        records = truth_records.filter(pl.col("event_id") == surge["id"]).join(assigned, on=["source", "record_id"])
        theme = records.group_by("theme_id").len().sort("len", descending=True)["theme_id"][0]
        cells = mart.filter((pl.col("grid_id") == surge["grid_id"]) & (pl.col("theme_id") == theme))
        in_surge = cells.filter(pl.col("iso_week").is_in(surge["weeks"]))
        assert in_surge.height == len(surge["weeks"])
        for n, planted in zip(in_surge.sort("iso_week")["n"], surge["counts"], strict=True):
            assert n >= 0.7 * planted, (surge["id"], n, planted)
        before = in_surge.sort("iso_week")["baseline_mean"][0]
        assert in_surge["n"].mean() >= 3 * max(before, 1.0), (surge["id"], in_surge["n"].to_list(), before)


def test_sources_are_named_as_the_design_says(demo_run):
    sources = set(demo_run["store"].sql("select distinct source from records")["source"])
    assert sources == set(SOURCE_VALUES.values()) == {"12345", "snapshot", "visit"}


def test_loading_the_same_files_again_changes_nothing(district, demo_run):
    store, pipe = demo_run["store"], demo_run["pipeline"]
    before = {t: store.count(t) for t in ("raw_records", "records", "rejects", "batches", "tokens", "assignments")}
    again = [pipe.ingest(path) for path in district.export_paths]
    assert {r.status for r in again} == {"skipped"}
    summary = pipe.run()
    assert (summary.cleaned, summary.segmented, summary.assigned) == (0, 0, 0)
    assert {t: store.count(t) for t in before} == before


def test_report_shows_the_headline_the_themes_and_the_changed_grids(demo_run):
    store = demo_run["store"]
    html = demo_run["report"].read_text("utf-8")
    week = store.sql("select * from mart_week_summary order by week_start desc limit 1").row(0, named=True)
    assert f"本周共受理诉求 <strong>{week['n']:,}</strong> 件" in html
    # the week as staff name it (2026年第46周（11月9日–15日）), never its ISO code
    assert week["iso_week"] not in html.split('<script id="figures"')[0]
    year, number = week["iso_week"].split("-W")
    assert f"{year}年第{int(number)}周" in html
    top = store.sql("select label from themes where theme_id >= 0 order by size desc limit 3")["label"].to_list()
    assert any(label in html for label in top)
    for element in ('id="fig-weekly"', 'id="fig-trend"', 'id="fig-grids"', 'id="spark-0"'):
        assert element in html
    assert demo_run["report"].stat().st_size < 2_000_000  # the cartesian plotly.js bundle: 1.5 MB


MOBILE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def _no_numbers_left(where: str, text: str) -> None:
    flat = _digits_joined(text)
    for pattern in (MOBILE, ID_NUMBER):
        found = pattern.findall(flat)
        assert not found, f"{where}: {found[:3]}"


def test_nothing_that_looks_like_a_mobile_or_id_number_survives_in_any_output(demo_run):
    """Not only the planted numbers: any string of those shapes, in every table people read and the report."""
    store = demo_run["store"]
    tables = [t for t in store.tables() if t.startswith(("mart_", "stg_")) or t in ("records", "tokens", "themes")]
    assert {"records", "tokens", "mart_records", "mart_grid_theme_week"} <= set(tables)
    for table in tables:
        frame = store.table(table)
        for column, dtype in frame.schema.items():
            if dtype == pl.String or dtype == pl.List(pl.String):
                values = frame[column].cast(pl.List(pl.String)).list.join(" ") if dtype != pl.String else frame[column]
                _no_numbers_left(f"{table}.{column}", "\n".join(values.drop_nulls().to_list()))
    html = demo_run["report"].read_text("utf-8")
    page = re.sub(r"<script>/\*\*\s*\n\* plotly\.js.*?</script>", "", html, count=1, flags=re.S)
    assert len(page) < len(html) / 2, "the plotly.js bundle was not found to set aside"
    _no_numbers_left("report", page)
