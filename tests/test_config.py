from pathlib import Path

import pytest

from demandlab.config import ConfigError, load_config


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEMANDLAB_CONFIG", raising=False)
    cfg = load_config()
    assert cfg.paths.db == Path("data/demandlab.duckdb") and cfg.source is None


def test_relative_paths_follow_the_config_file(tmp_path):
    path = tmp_path / "etc" / "demandlab.toml"
    path.parent.mkdir()
    path.write_text('[paths]\ndb = "db/x.duckdb"\n[themes]\nmax_themes = 40\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.paths.db == tmp_path / "etc" / "db" / "x.duckdb"
    assert cfg.paths.reports == tmp_path / "etc" / "reports"
    assert cfg.themes.max_themes == 40


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pathz]\n", r"unknown section\(s\) \['pathz'\]"),
        ("[themes]\nmax_theme = 3\n", "unknown key 'max_theme'"),
        ("[themes]\nmax_themes = 'many'\n", "max_themes: expected int"),
        ("[paths\n", "not valid TOML"),
        ("[engine]\nname = 'sparkk'\n", "engine.name: expected one of duckdb, spark, got 'sparkk'"),
    ],
)
def test_bad_config_files_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "demandlab.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_salt_is_created_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("DEMANDLAB_SALT", raising=False)
    path = tmp_path / "demandlab.toml"
    path.write_text('[privacy]\nsalt_file = "secret/salt"\n', encoding="utf-8")
    cfg = load_config(path)
    salt = cfg.salt()
    assert salt == cfg.salt() and len(salt) == 64
    assert (tmp_path / "secret" / "salt").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("DEMANDLAB_SALT", "from-env")
    assert cfg.salt() == b"from-env"


def test_a_bad_config_file_is_a_usage_error_naming_the_file_and_key(tmp_path):
    from typer.testing import CliRunner

    from demandlab.cli import app

    path = tmp_path / "demandlab.toml"
    path.write_text("[themes]\nmax_themes = 'many'\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--config", str(path), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2
    assert "demandlab.toml[themes].max_themes: expected int" in result.output and "意外错误" not in result.output
