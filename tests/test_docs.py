"""The README and docs/ match the code (in the manner of datasette's test_docs)."""

import dataclasses
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.main import get_command

import demandlab as dl
from demandlab.cli import app
from demandlab.config import Config
from demandlab.ingest import REASONS, presets

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text("utf-8")
CONTRACT_TABLES = [
    "batches",
    "records",
    "rejects",
    "grids",
    "tokens",
    "themes",
    "theme_events",
    "assignments",
    "categories",
    "runs",
    "resources",
    "projects",
]
#: Tables of the restricted file beside the database (personal data in clear), never in the analysts' file.
RESTRICTED_TABLES = ["raw_records", "reject_values", "warning_values"]


def _commands(group=None, prefix=()):
    group = group or get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


def test_every_command_is_in_the_readme():
    for command in _commands():
        assert f"`demandlab {command}" in README, command


def test_every_mapping_preset_and_reject_reason_is_in_the_readme():
    for name in presets():
        assert f"`{name}`" in README, name
    for reason in REASONS:
        assert f"`{reason}`" in README, reason


def test_the_readme_shows_the_three_commands_and_a_chinese_quick_start():
    assert "make demo" in README and "make test" in README and "make lab" in README
    assert "快速开始" in README


def test_the_contract_tables_exist_in_a_new_database():
    with dl.connect(":memory:") as store:
        assert set(CONTRACT_TABLES) <= set(store.tables())
        assert not set(RESTRICTED_TABLES) & set(store.tables())
        dl.Pipeline(store)  # the pipeline attaches the restricted file
        assert store.sql("select table_name from duckdb_tables() where database_name = 'restricted'")[
            "table_name"
        ].to_list() == sorted([*RESTRICTED_TABLES, "meta"])
        assert not set(RESTRICTED_TABLES) & set(store.tables())


def test_every_restricted_table_is_in_the_readme():
    for table in RESTRICTED_TABLES:
        assert f"`{table}`" in README, table


# --- docs/configuration.md -------------------------------------------------------------------------------
def _config_keys() -> dict[str, object]:
    """``section.key`` → default, for every key of every section of :class:`~demandlab.config.Config`."""
    keys = {}
    for section in dataclasses.fields(Config):
        if section.default_factory is dataclasses.MISSING or not dataclasses.is_dataclass(section.default_factory):
            continue  # not a section: where the config was read from, which paths were derived
        defaults = section.default_factory()
        for key in dataclasses.fields(defaults):
            keys[f"{section.name}.{key.name}"] = getattr(defaults, key.name)
    return keys


def _documented_keys() -> dict[str, list[str]]:
    """``section.key`` → the cells of its row in a table of docs/configuration.md."""
    rows = {}
    for line in CONFIGURATION.splitlines():
        found = re.match(r"\| `([a-z_]+\.[a-z_]+)` \|(.*)\|$", line)
        if found:
            assert found.group(1) not in rows, f"{found.group(1)} is documented twice"
            rows[found.group(1)] = [cell.strip() for cell in found.group(2).split("|")]
    return rows


def _toml(value: object) -> str:
    """A default as it is written in demandlab.toml."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def test_the_config_sections_are_found():
    keys = _config_keys()
    assert {k.split(".")[0] for k in keys} == {"paths", "privacy", "text", "themes", "signals", "report", "engine"}
    assert keys["themes.max_themes"] == 150 and keys["paths.inbox"] is None


def test_every_config_key_is_documented_and_every_documented_key_exists():
    keys, documented = _config_keys(), _documented_keys()
    assert not set(keys) - set(documented), f"not in docs/configuration.md: {sorted(set(keys) - set(documented))}"
    assert not set(documented) - set(keys), f"documented but not in config.py: {sorted(set(documented) - set(keys))}"


@pytest.mark.parametrize("key", sorted(_config_keys()))
def test_the_documented_default_is_the_code_default(key):
    default = _config_keys()[key]
    kind, shown, meaning = _documented_keys()[key]
    assert meaning, key
    if default is None:
        assert shown.startswith("unset"), (key, shown)
    else:
        assert f"`{_toml(default)}`" in shown, (key, shown, _toml(default))
        assert kind == {bool: "boolean", int: "integer", float: "real", str: "string"}.get(type(default), "path"), key


def _python_blocks(section: str) -> list[str]:
    """The ```python blocks of the README's section ``section`` (a ``## `` heading)."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_the_readme_python_example_runs_as_written(demo_run, chromium, tmp_path, monkeypatch):
    """3 of its 12 lines once did not run (``theme_trends(...)``, ``cells`` and ``space_joined_token_strings``
    undefined). It runs here where `make demo` leaves the database, and the outputs it shows are what comes out."""
    store = demo_run["store"]
    store.con.execute("checkpoint")
    (tmp_path / "data" / "demo").mkdir(parents=True)
    shutil.copyfile(store.path, tmp_path / "data" / "demo" / "demandlab.duckdb")
    monkeypatch.chdir(tmp_path)
    [block] = _python_blocks("In Python")
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "主要问题周趋势.png").read_bytes()[:4] == b"\x89PNG"
    shown = [line.split("#", 1) for line in block.splitlines() if re.search(r"#\s*\[", line)]
    assert len(shown) == 2
    for code, expected in shown:
        assert repr(eval(code, namespace)) == expected.strip(), code
    assert namespace["model"].n_themes_ >= 2
    namespace["store"].close()


def _recorded(name: str, *keys: str) -> float:
    value = json.loads((ROOT / "bench" / "results" / f"{name}.json").read_text("utf-8"))
    for key in keys:
        value = value[key]
    return value


#: Figures the README quotes, each beside the bench result it comes from: (what the README says, with the
#: figure as a group, the recorded value). A figure matches when the recorded value, rounded to the digits
#: written, is the figure. The README once said 40 s and 33 themes for a demo that took longer and found 41.
README_FIGURES = [
    (r"`demandlab demo` takes (\d+) s", lambda: _recorded("demo_pipeline", "demo_command", "seconds")),
    (
        r"`demandlab demo` takes \d+ s and\s+finds (\d+) themes",
        lambda: _recorded("demo_pipeline", "demo_command", "n_themes"),
    ),
    (
        r"On ([\d,]+) values planted",
        lambda: _recorded("mask_quality", "results", "current", "planted", "all_columns", "planted"),
    ),
    (
        r"recall\s+and precision are (\d+) %",
        lambda: 100 * _recorded("mask_quality", "results", "current", "overall", "precision"),
    ),
    (
        r"before issue 11, run beside it: recall ([\d.]+) %",
        lambda: 100 * _recorded("mask_quality", "results", "main@47978277cc", "overall", "recall"),
    ),
    (r"lexicon of (\d+) terms", lambda: _recorded("segment_quality", "governance_terms", "lexicon_size")),
    (r"segment at\s+about (\d+)× plain", lambda: _recorded("segment_speed", "synthetic", "speedup")),
    (r"which repeat less, about (\d+)×", lambda: _recorded("segment_speed", "real_messages", "speedup")),
    (r"Word F1\s+on SIGHAN 2005 is ([\d.]+) \(PKU\)", lambda: _recorded("segment_quality", "pku", "demandlab")),
    (r"\(PKU\) and ([\d.]+) \(MSR\)", lambda: _recorded("segment_quality", "msr", "demandlab")),
    (r"against jieba's default ([\d.]+) /", lambda: _recorded("segment_quality", "pku", "jieba_default_hmm_on")),
    (r"against jieba's default [\d.]+ / ([\d.]+)", lambda: _recorded("segment_quality", "msr", "jieba_default_hmm_on")),
    (r"records: (\d+) themes for \d+ planted problems", lambda: _recorded("themes_real", "synthetic_2000", "themes")),
    (
        r"records: \d+ themes for (\d+) planted problems",
        lambda: _recorded("themes_real", "synthetic_2000", "planted_problems"),
    ),
    (r"([\d,]+) real board messages: \d+\)", lambda: _recorded("themes_real", "zjboard", "records")),
    (r"[\d,]+ real board messages: (\d+)\)", lambda: _recorded("themes_real", "zjboard", "demandlab", "themes")),
    (r"on ([\d,]+) real citizen messages", lambda: _recorded("themes_real", "taidi2020c", "records")),
    (r"NMI against 一级分类 ([\d.]+) with", lambda: _recorded("themes_real", "taidi2020c", "demandlab", "nmi")),
    (
        r"NMI against 一级分类 [\d.]+ with (\d+) themes",
        lambda: _recorded("themes_real", "taidi2020c", "demandlab", "themes"),
    ),
    (r"at the same count\s+\(([\d.]+)\)", lambda: _recorded("themes_real", "taidi2020c", "kmeans_same_k", "nmi")),
    (r"BERTopic \(([\d.]+), \d+ % outliers\)", lambda: _recorded("themes_real", "taidi2020c", "bertopic", "nmi")),
    (r"and LDA \(([\d.]+)\)", lambda: _recorded("themes_real", "taidi2020c", "lda_same_k", "nmi")),
    (r"on zjboard ([\d.]+) against", lambda: _recorded("themes_real", "zjboard", "demandlab", "nmi")),
    (
        r"different 90 % subsamples agree at ([\d.]+) /",
        lambda: _recorded("themes_real", "taidi2020c", "demandlab", "subsample_stability_ari"),
    ),
    (r"a fit on 1,000,000 records takes (\d+) s", lambda: _recorded("themes_scale", "fit_1m", "fit_seconds")),
    (r"takes \d+ s at ([\d.]+) GiB peak", lambda: _recorded("themes_scale", "fit_1m", "peak_rss_mib") / 1024),
    (r"assigning 50,000 new records ([\d.]+) s", lambda: _recorded("themes_scale", "fit_1m", "assign_seconds")),
    (
        r"at 100,000 records the fit takes (\d+) s",
        lambda: _recorded("themes_scale", "compare_100k", "demandlab", "fit_seconds"),
    ),
    (r"against BERTopic's (\d+) s", lambda: _recorded("themes_scale", "compare_100k", "bertopic", "fit_seconds")),
    (r"with \d+ false surge alerts in ([\d,]+) grid", lambda: _recorded("signals_quality", "synthetic", "cells")),
    (
        r"with (\d+) false surge alerts in [\d,]+ grid",
        lambda: _recorded("signals_quality", "synthetic", "demandlab", "false_surge_alerts"),
    ),
    (
        r"finds (\d+) % of the surge weeks",
        lambda: 100 * _recorded("signals_quality", "synthetic", "anchor_plain_poisson", "surge_week_recall"),
    ),
    (
        r"with (\d+) false alerts\)",
        lambda: _recorded("signals_quality", "synthetic", "anchor_plain_poisson", "false_surge_alerts"),
    ),
    (
        r"brings the marts up to date in\s+([\d.]+) s",
        lambda: _recorded("signals_scale", "million", "timings_s", "new_week_marts"),
    ),
    (r"and the signals in ([\d.]+) s", lambda: _recorded("signals_scale", "million", "timings_s", "new_week_signals")),
    (
        r"full signals pass, after a refit, takes (\d+) s",
        lambda: _recorded("signals_scale", "million", "timings_s", "full_signals"),
    ),
    (
        r"precision / recall ([\d.]+) / [\d.]+ for the elderly",
        lambda: _recorded("focus_quality", "heldout", "elderly", "demandlab", "precision"),
    ),
    (
        r"precision / recall [\d.]+ / ([\d.]+) for the elderly",
        lambda: _recorded("focus_quality", "heldout", "elderly", "demandlab", "recall"),
    ),
    (
        r"the single character 老: F1 ([\d.]+)",
        lambda: _recorded("focus_quality", "heldout", "elderly", "demandlab", "f1"),
    ),
    (
        r"the single character 老: F1 [\d.]+\s+against ([\d.]+)",
        lambda: _recorded("focus_quality", "heldout", "elderly", "baseline_single_character", "f1"),
    ),
    (
        r"and ([\d.]+) / [\d.]+ for children",
        lambda: _recorded("focus_quality", "heldout", "children", "demandlab", "precision"),
    ),
    (
        r"and [\d.]+ / ([\d.]+) for children",
        lambda: _recorded("focus_quality", "heldout", "children", "demandlab", "recall"),
    ),
    (
        r"\(F1 ([\d.]+) against [\d.]+ for 孩",
        lambda: _recorded("focus_quality", "heldout", "children", "demandlab", "f1"),
    ),
    (
        r"\(F1 [\d.]+ against ([\d.]+) for 孩",
        lambda: _recorded("focus_quality", "heldout", "children", "baseline_single_character", "f1"),
    ),
    (r"the review finds ([\d.]+) % of the effects", lambda: 100 * _recorded("review_quality", "effect_found_share")),
    (
        r"claims an\s+effect for ([\d.]+) % of the projects",
        lambda: 100 * _recorded("review_quality", "false_claim_share"),
    ),
    (r"On (\d+) synthetic districts that plant two projects", lambda: _recorded("review_quality", "districts")),
    (r"in the inbox the whole run takes (\d+) s", lambda: _recorded("weekly_scale", "million", "seconds")),
    (r"and report\s+peaks at ([\d.]+) GiB", lambda: _recorded("scale", "sizes", "1M", "peak_gib")),
    (r"GiB\) and ([\d.]+) GiB at\s+3,000,000 records", lambda: _recorded("scale", "sizes", "3M", "peak_gib")),
    (
        r"copies of the same database\): ([\d.]+) s at 1,000,000 records",
        lambda: _recorded("scale", "sizes", "1M", "weekly", "wall_s"),
    ),
    (
        r"1,000,000 records \(e918bb4: ([\d.]+) s\)",
        lambda: _recorded("scale", "sizes", "1M", "weekly", "anchor", "wall_s"),
    ),
    (
        r"\(e918bb4: [\d.]+ s\),\s+([\d.]+) s at 3,000,000",
        lambda: _recorded("scale", "sizes", "3M", "weekly", "wall_s"),
    ),
    (r"at 3,000,000 \(e918bb4: ([\d.]+) s\)", lambda: _recorded("scale", "sizes", "3M", "weekly", "anchor", "wall_s")),
    (r"and ([\d.]+) s at 10,000,000 \(e918bb4", lambda: _recorded("scale", "sizes", "10M", "weekly", "wall_s")),
    (
        r"at 10,000,000 \(e918bb4: ([\d.]+) s; runs",
        lambda: _recorded("scale", "sizes", "10M", "weekly", "anchor", "wall_s"),
    ),
    (
        r"of which marts (\d+) s and signals",
        lambda: _recorded("scale", "sizes", "10M", "weekly", "stage_seconds", "marts"),
    ),
    (
        r"and signals (\d+) s, against 30 s",
        lambda: _recorded("scale", "sizes", "10M", "weekly", "stage_seconds", "signals"),
    ),
    (
        r"Its\s+peak at 10,000,000 records is ([\d.]+) GiB",
        lambda: _recorded("scale", "sizes", "10M", "weekly", "peak_gib"),
    ),
    (r"e918bb4's ([\d.]+) GiB: DuckDB", lambda: _recorded("scale", "sizes", "10M", "weekly", "anchor", "peak_gib")),
    (
        r"the same weekly job peaks at ([\d.]+) GiB",
        lambda: _recorded("scale", "sizes", "10M", "weekly_memory_limits", "2GB", "peak_gib"),
    ),
    (
        r"peaks at [\d.]+ GiB\ninstead of ([\d.]+) in the same time",
        lambda: _recorded("scale", "sizes", "10M", "weekly_memory_limits", "4GB", "peak_gib"),
    ),
    (
        r"in the same time \(([\d.]+) s and",
        lambda: _recorded("scale", "sizes", "10M", "weekly_memory_limits", "2GB", "wall_s"),
    ),
    (
        r"in the same time \([\d.]+ s and ([\d.]+) s, the faster",
        lambda: _recorded("scale", "sizes", "10M", "weekly_memory_limits", "4GB", "wall_s"),
    ),
    (
        r"marts rebuilt on every run take ([\d.]+) s",
        lambda: _recorded("marts_speed", "total", "here"),
    ),
    (
        r"at 1,000,000 records instead of ([\d.]+) s\s+\(`bench/marts_speed.py`",
        lambda: _recorded("marts_speed", "total", "anchor"),
    ),
    (r"largest 12345\s+export \(([\d,]+) rows\)", lambda: _recorded("ingest_memory", "sizes", "3M", "rows_read")),
    (r"district's largest export, ([\d,]+) rows", lambda: _recorded("ingest_memory", "sizes", "10M", "rows_read")),
    (r"rows, loads\s+at ([\d.]+) GiB", lambda: _recorded("ingest_memory", "sizes", "10M", "chunked", "peak_gib")),
    (
        r"rows, loads\s+at [\d.]+ GiB instead of ([\d.]+) GiB",
        lambda: _recorded("ingest_memory", "sizes", "10M", "whole", "peak_gib"),
    ),
    (
        r"rows\) peaks at ([\d.]+) GiB \(the code",
        lambda: _recorded("ingest_memory", "sizes", "3M", "chunked", "peak_gib"),
    ),
    (
        r"which held the strings it read: ([\d.]+) GiB\)",
        lambda: _recorded("ingest_memory", "sizes", "3M", "in_memory", "peak_gib"),
    ),
    (
        r"instead of ([\d.]+) GiB\s+in one piece, for",
        lambda: _recorded("ingest_memory", "sizes", "3M", "whole", "peak_gib"),
    ),
    (
        r"in one piece and ([\d.]+) GiB with its strings held",
        lambda: _recorded("ingest_memory", "sizes", "10M", "in_memory", "peak_gib"),
    ),
    (r"\(([\d,]+) grids,\s+\d+ streets; its ingest", lambda: _recorded("scale", "sizes", "10M", "grids")),
    (r"grids,\s+(\d+) streets; its ingest", lambda: _recorded("scale", "sizes", "10M", "streets")),
    (r"the build peaks at ([\d.]+) GiB,\s+under the 8 GiB", lambda: _recorded("scale", "sizes", "10M", "peak_gib")),
    (r"grows with exponent ([\d.]+) \(goal", lambda: _recorded("scale", "claims", "peak_rss_exponent_1m_to_10m")),
    (
        r"The signals step peaks at ([\d.]+) GiB",
        lambda: _recorded("scale", "sizes", "10M", "steps", "signals", "peak_gib"),
    ),
    (r"in the build\) and takes ([\d,]+) s", lambda: _recorded("scale", "sizes", "10M", "steps", "signals", "wall_s")),
    (r"Ingest peaks at ([\d.]+) GiB \(4.20", lambda: _recorded("scale", "sizes", "10M", "steps", "ingest", "peak_gib")),
    (
        r"visits file alone, ([\d,]+) objects",
        lambda: _recorded("ingest_memory", "sizes", "10M visits", "rows_read"),
    ),
    (
        r"objects: ([\d.]+) GiB instead of",
        lambda: _recorded("ingest_memory", "sizes", "10M visits", "chunked", "peak_gib"),
    ),
    (
        r"objects: [\d.]+ GiB instead of ([\d.]+) with",
        lambda: _recorded("ingest_memory", "sizes", "10M visits", "in_memory", "peak_gib"),
    ),
    (r"clean peaks at ([\d.]+) GiB\.", lambda: _recorded("scale", "sizes", "10M", "steps", "clean", "peak_gib")),
    (r"identical tables \((\d+) of \d+", lambda: sum(_recorded("scale", "compare", "tables_equal").values())),
    (r"identical tables \(\d+ of (\d+)", lambda: len(_recorded("scale", "compare", "tables_equal"))),
    (r"([\d.]+) MB a page instead of", lambda: _recorded("report_size", "district_report", "bytes") / 1e6),
    (
        r"MB a page instead of ([\d.]+) MB",
        lambda: _recorded("report_size", "anchor_full_plotly", "district_bytes") / 1e6,
    ),
    (
        r"about ([\d.]+)× the time of a bare DuckDB load",
        lambda: _recorded("ingest_speed", "results", "utf8_csv", "ratio"),
    ),
    (r"same UTF-8 CSV, ([\d.]+)× for\s+GB18030", lambda: _recorded("ingest_speed", "results", "gb18030_csv", "ratio")),
    (
        r"workbook in about ([\d.]+)× a bare calamine read",
        lambda: _recorded("ingest_speed", "results", "xlsx_100k", "ratio"),
    ),
]


@pytest.mark.parametrize(("said", "recorded"), README_FIGURES, ids=[p for p, _ in README_FIGURES])
def test_a_figure_in_the_readme_is_the_recorded_benchmark_result(said, recorded):
    found = re.search(said, README)
    assert found, f"the README no longer says {said!r}: update it and this list together"
    written = Decimal(found.group(1).replace(",", ""))
    rounded = Decimal(str(recorded())).quantize(Decimal(1).scaleb(written.as_tuple().exponent), ROUND_HALF_UP)
    assert written == rounded, f"README says {found.group(0)!r}, recorded {recorded()}"
