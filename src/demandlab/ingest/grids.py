"""The grid registry: street / community / grid / building, with the names people write.

A registry file (CSV or Excel, headers in ``registry.toml``) becomes two
tables: ``grids`` (one row per grid, with aliases) and ``places`` (compounds
and buildings per grid). :class:`GridIndex` turns what a record says
(白鹭社区第1网格, 第1网格 with 社区 = 白鹭社区, 一网格, 01网格, DH0101) into one grid id.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from .headers import normalize_header
from .parse import FULL_WIDTH, HALF_WIDTH
from .readers import ROW, IngestError, read_table

_TO_HALF = str.maketrans(dict(zip(FULL_WIDTH, HALF_WIDTH, strict=True)))


def normalize_place(value: str | None) -> str:
    """Compare-friendly form of a place name: half-width, no spaces, upper-case letters."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", value.translate(_TO_HALF)).upper()


def _community_forms(community: str) -> set[str]:
    c = normalize_place(community)
    return {c, c.removesuffix("社区"), c.removesuffix("社区") + "社区"} - {""}


def _written_with(name: str, community: str) -> bool:
    """Whether a grid's name already holds its community (白鹭社区第1网格, 白鹭一网格 in 白鹭社区).

    A community's short form can be the start of a bare grid name: 第1网格 begins with 第1 of 第1社区,
    but names no community, so a bare 第1网格 must not become a name every record can match.

    >>> _written_with("白鹭一网格", "白鹭"), _written_with("第1网格", "第1"), _written_with("第1网格", "第1社区")
    (True, False, False)
    """
    rest = name.removeprefix(community)
    return rest != name and rest not in ("", "网格")


@dataclass(frozen=True)
class GridIndex:
    """Look-ups from written place names to grid ids. Plain dicts: it pickles."""

    by_code: dict[str, str]
    by_full: dict[str, str]
    by_alias: dict[tuple[str, str], str]
    info: dict[str, tuple[str, str]]  # grid_id → (street, community)

    @classmethod
    def from_frame(cls, grids: pl.DataFrame) -> GridIndex:
        by_code, by_full, by_alias, info = {}, {}, {}, {}
        for row in grids.iter_rows(named=True):
            gid = row["grid_id"]
            info[gid] = (row["street"], row["community"])
            by_code[normalize_place(gid)] = gid
            names = {normalize_place(a) for a in (row["aliases"] or [])} | {normalize_place(row["grid_name"])}
            names.discard("")
            for community in _community_forms(row["community"] or ""):
                for name in names:
                    by_alias[(community, name)] = gid
                    by_full[name if _written_with(name, community) else community + name] = gid
            by_full.setdefault(normalize_place(row["grid_name"]), gid)
        return cls(by_code, by_full, by_alias, info)

    def __len__(self) -> int:
        return len(self.info)

    def resolve(self, community: str | None, value: str | None) -> str | None:
        """The grid id for ``value`` written in ``community``, or None.

        Examples
        --------
        >>> idx = GridIndex.from_frame(pl.DataFrame({"grid_id": ["DH0101"], "grid_name": ["白鹭社区第1网格"],
        ...     "street": ["东湖街道"], "community": ["白鹭社区"], "aliases": [["第1网格", "一网格"]]}))
        >>> idx.resolve("白鹭社区", "一网格"), idx.resolve(None, "白鹭社区第1网格"), idx.resolve(None, "dh0101")
        ('DH0101', 'DH0101', 'DH0101')
        """
        v = normalize_place(value)
        if not v:
            return None
        found = self.by_code.get(v) or self.by_full.get(v)
        if found is None and community:
            for c in _community_forms(community):
                found = self.by_alias.get((c, v))
                if found:
                    break
        return found


def _registry_columns() -> dict[str, list[str]]:
    return tomllib.loads(resources.files(__package__).joinpath("registry.toml").read_text("utf-8"))


def read_registry(path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read a registry export into ``(grids, places)`` frames.

    Raises :class:`IngestError` naming the file, row and column when a row has
    no grid id or a grid id maps to two different communities.
    """
    synonyms = _registry_columns()
    table = read_table(path, known_headers={h for hs in synonyms.values() for h in hs})
    present = {}
    for column, candidates in synonyms.items():
        header = next((normalize_header(h) for h in candidates if normalize_header(h) in table.headers), None)
        if header is not None:
            present[column] = header
    missing = [c for c in ("grid_id", "community") if c not in present]
    if missing:
        needed = "；".join(f"{c}（表头可以是 {' / '.join(synonyms[c])}）" for c in missing)
        raise IngestError(path, "no_mapping", f"网格登记表缺少必需的列：{needed}")
    frame = table.frame.select(
        pl.col(ROW),
        *[pl.col(h).str.strip_chars().alias(c) for c, h in present.items()],
        *[pl.lit(None, pl.String).alias(c) for c in synonyms if c not in present],
    )
    empty_id = frame.filter(pl.col("grid_id").is_null() | (pl.col("grid_id") == ""))
    if empty_id.height:
        raise IngestError(path, "missing_id", f"第 {empty_id[ROW][0]} 行，{present['grid_id']}：网格编号为空")
    conflicts = (
        frame.group_by("grid_id")
        .agg(pl.col("community").n_unique().alias("n"), pl.col(ROW).max())
        .filter(pl.col("n") > 1)
    )
    if conflicts.height:
        row = conflicts.row(0, named=True)
        raise IngestError(path, "conflict", f"第 {row[ROW]} 行，{present['grid_id']}：同一网格编号出现在多个社区下")
    grids = (
        frame.with_columns(
            pl.col("aliases")
            .fill_null("")
            .str.replace_all(r"[,，、;；]", "|")
            .str.split("|")
            .list.eval(pl.element().str.strip_chars())
        )
        .group_by("grid_id", maintain_order=True)
        .agg(
            pl.col("grid_name").drop_nulls().first(),
            pl.col("street").drop_nulls().first(),
            pl.col("community").drop_nulls().first(),
            pl.col("aliases").list.explode(keep_nulls=False, empty_as_null=False).unique(maintain_order=True),
        )
        .with_columns(
            pl.col("grid_name").fill_null(pl.col("grid_id")),
            pl.col("aliases").list.eval(pl.element().filter(pl.element() != "")),
        )
    )
    places = (
        frame.select("grid_id", "compound", "building")
        .filter(pl.col("compound").is_not_null())
        .unique(maintain_order=True)
    )
    return grids, places
