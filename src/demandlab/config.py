"""Typed configuration loaded from a TOML file (``demandlab.toml``).

Every setting has a default, so no file is needed for the demo. Relative paths
in a config file are resolved against the folder of that file. Without a config
file, the database path is taken as given (``--db``), and everything that
belongs to a database — its inbox, archive, theme models, logs, analysts'
overrides and the salt of ``contact_key`` — lives in the database's folder, so
a command gives the same keys and finds the same model from whatever folder it
is run. Secrets — the salt — live in an untracked file named by
``privacy.salt_file``, created ``0600`` with a random salt on first use.

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
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .duck import MEMORY_SIZE
from .errors import UsageError

CONFIG_ENV = "DEMANDLAB_CONFIG"
SALT_ENV = "DEMANDLAB_SALT"


class ConfigError(UsageError):
    """A configuration file that cannot be used; the message names the file and key (exit code 2)."""


@dataclass(frozen=True)
class PathsConfig:
    db: Path = Path("data/demandlab.duckdb")
    inbox: Path | None = None  # default: data/inbox beside the config, else inbox/ beside the database
    archive: Path | None = None  # default: data/archive beside the config, else archive/ beside the database
    models: Path | None = None  # default: data/models beside the config, else models/ beside the database
    reports: Path = Path("reports")
    logs: Path | None = None  # the weekly job's log file (weekly.log); data/logs or logs/ beside the database
    grids: Path | None = None  # grid registry CSV loaded before each ingest, if set
    mappings: Path | None = None  # folder of user mapping TOML files
    lake: Path | None = None  # the database as a folder of Parquet each run ends with (demandlab.lake), if set


@dataclass(frozen=True)
class PrivacyConfig:
    salt_file: Path | None = None  # default: data/.contact_salt beside the config, else beside the database


@dataclass(frozen=True)
class TextConfig:
    user_words: Path | None = None  # extra jieba user dictionary ("word freq tag" per line)
    stopwords: Path | None = None  # extra stopwords, one per line
    workers: int = 0  # processes for the text stages (clean + mask, segment, places); 0 = one per core, at most 4


@dataclass(frozen=True)
class ThemesConfig:
    min_themes: int = 2
    max_themes: int = 150
    n_components: int = 150
    seed: int = 0
    taxonomy: Path | None = None  # user taxonomy (TOML or a 一级/二级/三级分类 table) replacing the seed list
    overrides: Path | None = None  # analysts' renames, merges…: themes.toml beside the config, else the database
    window_weeks: int = 104  # a fit learns from the records of the last this many weeks (0: all)
    refit_after_weeks: int = 13  # refit when the newest data is this many weeks past the fit's window
    refit_unassigned_share: float = 0.1  # or when more than this share of newer records stays 未归类
    fit_sample: int = 250_000  # a fit learns from at most this many records of its window (a fixed hash sample)


@dataclass(frozen=True)
class SignalsConfig:
    """Parameters of the signals (see ``demandlab.signals`` for the models they tune)."""

    surge_window: int = 12  # trailing weeks a grid × theme is compared with
    surge_fdr: float = 0.01  # false-discovery rate across the grid × theme cells of a week
    surge_min_count: int = 3  # a week with fewer records is never a surge
    crowd_min_contacts: int = 5  # 多人同诉: at least this many distinct people at one place on one theme …
    crowd_days: int = 7  # … within this many days, and improbably many for that place:
    crowd_baseline_weeks: int = 12  # … against its own people in this many weeks before
    crowd_fdr: float = 0.01  # … at this false-discovery rate across the places of a week
    repeat_caller_min_records: int = 3  # 一人多诉: records by one person in one category …
    repeat_caller_gap_days: int = 180  # … with at most this many days between successive ones
    repeat_similarity: float = 0.6  # cosine at or above which two records are repeats …
    repeat_window_days: int = 30  # … when at most this many days apart
    hot_weeks: int = 13  # hot issues: the period ending at the latest week (0: all the data)
    hot_min_records: int = 3


#: The engines ``engine.name`` may name.
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineConfig:
    batch_rows: int = 100_000  # rows stages read, run and write this many rows at a time (bounds memory)
    # DuckDB's memory limit; beyond it DuckDB spills to <db>.tmp ("" = DuckDB's default, 80 % of the machine's).
    # 2GB: the weekly job at ten million records peaks at 4.95 GiB instead of 6.93 at 4GB, in the same time
    # (bench/results/scale.json, weekly_memory_limits); a district of a million records never reaches it
    memory_limit: str = "2GB"
    # where the rows stages run: "duckdb" (this machine, worker processes) or "spark" (demandlab.spark; the
    # optional group `spark` and Java 17); spark_master: the Spark master ("local[2]", "yarn", "spark://host:7077";
    # "": the one spark-submit names, as under pipelines/spark/submit.sh)
    name: str = "duckdb"
    spark_master: str = "local[2]"

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ConfigError(f"engine.name: expected one of {', '.join(ENGINES)}, got {self.name!r}")
        if self.batch_rows < 1:
            raise ConfigError(f"engine.batch_rows: expected a positive number of rows, got {self.batch_rows}")
        if self.memory_limit and not re.fullmatch(MEMORY_SIZE, self.memory_limit.strip()):
            expected = "a size such as '4GB' or '800MiB'"
            raise ConfigError(f"engine.memory_limit: expected {expected}, got {self.memory_limit!r}")


@dataclass(frozen=True)
class ReportConfig:
    # the district named in the title; empty: the one the grid registry or the records name (labels.district_of)
    district: str = ""
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
    engine: EngineConfig = field(default_factory=EngineConfig)
    source: Path | None = None  # the file this was read from
    derived: frozenset[str] = field(default=frozenset(), compare=False, repr=False)  # paths filled in, not set

    def __post_init__(self) -> None:
        if any(getattr(getattr(self, s), k) is None for s, k in _BESIDE_DB):
            filled = _beside_db(self)
            for name in ("paths", "privacy", "themes", "derived"):
                object.__setattr__(self, name, getattr(filled, name))

    def with_db(self, db: str | Path | None) -> Config:
        """A copy whose database path is ``db`` (when given); without a config file, the paths that
        belong to a database (inbox, archive, models, logs, overrides, salt) move with it."""
        if db is None:
            return self
        moved = replace(self, paths=replace(self.paths, db=Path(db)))
        return moved if self.source is not None else _beside_db(moved, force=True)

    def salt(self) -> bytes:
        """The salt for ``contact_key``: $DEMANDLAB_SALT, else the salt file (created ``0600`` if missing)."""
        if os.environ.get(SALT_ENV):
            return os.environ[SALT_ENV].encode()
        path = self.privacy.salt_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            previous = os.umask(0o077)
            try:
                with path.open("x", encoding="ascii") as handle:
                    handle.write(secrets.token_hex(32) + "\n")
            except FileExistsError:
                pass  # another process created it first: use theirs
            finally:
                os.umask(previous)
        return path.read_text(encoding="ascii").strip().encode()


#: Paths that belong to one database: (section, key) → name beside the database, and the default
#: relative to a config file's folder (what these defaults were before they followed the database).
_BESIDE_DB = {
    ("paths", "inbox"): ("inbox", "data/inbox"),
    ("paths", "archive"): ("archive", "data/archive"),
    ("paths", "models"): ("models", "data/models"),
    ("paths", "logs"): ("logs", "data/logs"),
    ("privacy", "salt_file"): (".contact_salt", "data/.contact_salt"),
    ("themes", "overrides"): ("themes.toml", "themes.toml"),
}


def _beside_db(cfg: Config, force: bool = False) -> Config:
    """Fill the unset per-database paths: beside the database, or (with a config file) beside the file.

    ``force`` recomputes them for a config without a file (its database moved).
    """
    sections = {}
    for (section, key), (name, legacy) in _BESIDE_DB.items():
        current = getattr(getattr(cfg, section), key)
        if current is not None and not (force and key in cfg.derived):
            continue
        base = cfg.source.parent / legacy if cfg.source is not None else Path(cfg.paths.db).parent / name
        sections.setdefault(section, {})[key] = base
    if not sections:
        return cfg
    derived = cfg.derived | {key for values in sections.values() for key in values}
    return replace(
        cfg,
        **{section: replace(getattr(cfg, section), **values) for section, values in sections.items()},
        derived=frozenset(derived),
    )


#: The synthetic district's name: ``demandlab.synth.district.DISTRICT`` (tests/report/test_report_language.py)
DEMO_DISTRICT = "明湖区"


def demo_config(data_dir: Path, reports_dir: Path) -> Config:
    """The configuration of the demo: the database and everything beside it under ``data_dir``, and the name of
    the synthetic district (:data:`DEMO_DISTRICT`: its registry writes streets without it).

    >>> demo_config(Path("data/demo"), Path("reports/demo")).paths.models
    PosixPath('data/demo/models')
    """
    paths = PathsConfig(db=data_dir / "demandlab.duckdb", reports=reports_dir)
    return Config(paths=paths, report=ReportConfig(district=DEMO_DISTRICT))


_SECTIONS = {
    "paths": PathsConfig,
    "privacy": PrivacyConfig,
    "text": TextConfig,
    "themes": ThemesConfig,
    "signals": SignalsConfig,
    "report": ReportConfig,
    "engine": EngineConfig,
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
