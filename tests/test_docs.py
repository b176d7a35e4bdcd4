"""The README and docs/ match the code (in the manner of datasette's test_docs)."""

import dataclasses
import json
import re
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
    assert {k.split(".")[0] for k in keys} == {"paths", "privacy", "text", "themes", "signals", "report"}
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
