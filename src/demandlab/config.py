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
    max_themes = 150

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
    logs: Path = Path("data/logs")  # the weekly job's log file (weekly.log)
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
    min_themes: int = 2
    max_themes: int = 150
    n_components: int = 150
    seed: int = 0
    taxonomy: Path | None = None  # user taxonomy (TOML or a 一级/二级/三级分类 table) replacing the seed list
    overrides: Path = Path("themes.toml")  # analysts' renames, merges, pinned labels, categories
    window_weeks: int = 104  # a fit learns from the records of the last this many weeks (0: all)
    refit_after_weeks: int = 13  # refit when the newest data is this many weeks past the fit's window
    refit_unassigned_share: float = 0.1  # or when more than this share of newer records stays 未归类


@dataclass(frozen=True)
class SignalsConfig:
    """Parameters of the signals (see ``demandlab.signals`` for the models they tune)."""

    surge_window: int = 12  # trailing weeks a grid × theme is compared with
    surge_fdr: float = 0.01  # false-discovery rate across the grid × theme cells of a week
    surge_min_count: int = 3  # a week with fewer records is never a surge
    crowd_min_contacts: int = 5  # 多人同诉: distinct contacts on one theme at one place …
    crowd_days: int = 7  # … within this many days
    repeat_caller_min_records: int = 3  # 一人多诉: records by one contact on one theme …
    repeat_caller_gap_days: int = 180  # … with at most this many days between successive ones
    repeat_similarity: float = 0.6  # cosine at or above which two records are repeats …
    repeat_window_days: int = 30  # … when at most this many days apart
    hot_weeks: int = 13  # hot issues: the period ending at the latest week (0: all the data)
    hot_min_records: int = 3


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
    signals: SignalsConfig = field(default_factory=SignalsConfig)
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
    "signals": SignalsConfig,
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
    150
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
