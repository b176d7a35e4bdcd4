"""Typed configuration loaded from a TOML file (``demandlab.toml``).

Every setting has a default, so no file is needed for the demo. Relative paths
are resolved against the folder of the config file (or the working folder when
there is none). Secrets — the salt for ``contact_key`` — live in an untracked
file named by ``privacy.salt_file``; it is created with a random salt on first use.

Example ``demandlab.toml``::

    [paths]
    db = "data/demandlab.duckdb"
    inbox = "data/inbox"
    reports = "reports"

    [themes]
    max_themes = 60

    [report]
    district = "明湖区"
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

CONFIG_ENV = "DEMANDLAB_CONFIG"
SALT_ENV = "DEMANDLAB_SALT"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class PathsConfig:
    db: Path = Path("data/demandlab.duckdb")
    inbox: Path = Path("data/inbox")
    archive: Path = Path("data/archive")
    models: Path = Path("data/models")
    reports: Path = Path("reports")
    grids: Path | None = None  # grid registry CSV loaded before each ingest, if set
    mappings: Path | None = None  # folder of user mapping TOML files


@dataclass(frozen=True)
class PrivacyConfig:
    salt_file: Path = Path("data/.contact_salt")


@dataclass(frozen=True)
class TextConfig:
    user_words: Path | None = None  # extra jieba user dictionary ("word freq tag" per line)
    stopwords: Path | None = None  # extra stopwords, one per line
    workers: int = 0  # processes for segmentation; 0 = one per core


@dataclass(frozen=True)
class ThemesConfig:
    min_themes: int = 8
    max_themes: int = 60
    n_components: int = 100
    seed: int = 0
    taxonomy: Path | None = None  # user taxonomy TOML replacing the shipped seed list


@dataclass(frozen=True)
class ReportConfig:
    district: str = "明湖区"
    title: str = "社区诉求分析周报"
    top_themes: int = 10
    changed_grids: int = 6
    weeks_shown: int = 26


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    text: TextConfig = field(default_factory=TextConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    source: Path | None = None  # the file this was read from

    def with_db(self, db: str | Path | None) -> Config:
        """A copy whose database path is ``db`` (when given)."""
        return self if db is None else replace(self, paths=replace(self.paths, db=Path(db)))

    def salt(self) -> bytes:
        """The salt for ``contact_key``: $DEMANDLAB_SALT, else the salt file (created if missing)."""
        if os.environ.get(SALT_ENV):
            return os.environ[SALT_ENV].encode()
        path = self.privacy.salt_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
            path.chmod(0o600)
        return path.read_text(encoding="ascii").strip().encode()


_SECTIONS = {
    "paths": PathsConfig,
    "privacy": PrivacyConfig,
    "text": TextConfig,
    "themes": ThemesConfig,
    "report": ReportConfig,
}


def _section(cls: type, values: dict[str, Any], base: Path, where: str) -> Any:
    defaults = cls()
    path_fields = {f.name for f in fields(cls) if "Path" in str(f.type)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if not hasattr(defaults, key):
            known = ", ".join(f.name for f in fields(cls))
            raise ConfigError(f"{where}: unknown key {key!r}; known keys: {known}")
        if key in path_fields:
            if not isinstance(value, str):
                raise ConfigError(f"{where}.{key}: expected a path string, got {value!r}")
            kwargs[key] = Path(value).expanduser()
        elif type(value) is not type(getattr(defaults, key)):
            expected = type(getattr(defaults, key)).__name__
            raise ConfigError(f"{where}.{key}: expected {expected}, got {value!r}")
        else:
            kwargs[key] = value
    for key in path_fields:  # relative paths, defaults included, follow the config file
        value = kwargs.get(key, getattr(defaults, key))
        if value is not None and not value.is_absolute():
            kwargs[key] = base / value
    return cls(**kwargs)


def load_config(path: str | Path | None = None) -> Config:
    """Load the configuration from ``path``, $DEMANDLAB_CONFIG, ``./demandlab.toml``, or defaults.

    Examples
    --------
    >>> cfg = load_config(None)
    >>> cfg.themes.max_themes
    60
    """
    if path is None:
        path = os.environ.get(CONFIG_ENV) or ("demandlab.toml" if Path("demandlab.toml").exists() else None)
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    base = path.parent
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}")
    sections = {name: _section(cls, raw.get(name, {}), base, f"{path}[{name}]") for name, cls in _SECTIONS.items()}
    return Config(**sections, source=path)
