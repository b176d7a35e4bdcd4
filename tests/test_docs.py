"""The README matches the code (in the manner of datasette's test_docs)."""

from pathlib import Path

from typer.main import get_command

import demandlab as dl
from demandlab.cli import app
from demandlab.ingest import REASONS, presets

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
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


def test_the_readme_shows_the_two_commands_and_a_chinese_quick_start():
    assert "make demo" in README and "make test" in README
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
