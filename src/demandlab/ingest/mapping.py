"""Mappings: which source header becomes which canonical column, and how values translate.

A mapping is a TOML file (see ``mappings/*.toml`` for the shipped presets)::

    name = "my_export"
    required = ["record_id", "created_at", "text"]
    [constants]            # columns the export does not carry
    source = "12345"
    [columns]              # canonical column = headers it may come from, first match wins
    record_id = ["工单编号", "工单号"]
    [combine]              # canonical column = several headers joined
    building = ["小区", "楼栋"]
    created_at = { columns = ["来电日期", "来电时刻"], sep = " " }
    [values.satisfaction]  # added to / overriding the shared mappings/values.toml
    "非常满意" = "satisfied"
    date_formats = ["%Y.%m.%d %H:%M"]   # tried before the built-in formats

Header synonyms are data: add a header to a preset, or ship a user mapping, without code.
Candidates are compared in the normal form of :func:`~demandlab.ingest.headers.normalize_header`
(trimmed, half-width, NFKC), the form readers give every header.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import schema
from .headers import normalize_header
from .table import IngestError

CANONICAL = set(schema.RECORD) | {"contact", "room", "grid_raw"}
CODED = ("kind", "channel", "status", "resolved", "satisfaction", "resolved_level")


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ("record_id", "created_at", "text")
    constants: dict[str, str] = field(default_factory=dict)
    combine: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)  # column → (headers, separator)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    description: str = ""
    origin: str = ""

    @property
    def headers(self) -> set[str]:
        """Every source header this mapping knows."""
        known = {h for hs in self.columns.values() for h in hs}
        return known | {h for hs, _ in self.combine.values() for h in hs}

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """canonical column → the header of this file it comes from."""
        present: dict[str, str] = {}
        for h in headers:
            present.setdefault(normalize_header(h), h)
        found: dict[str, str] = {}
        for canonical, candidates in self.columns.items():
            for candidate in candidates:
                if candidate in present:
                    found[canonical] = present[candidate]
                    break
        return found

    def missing(self, headers: list[str]) -> list[str]:
        """Required canonical columns this file lacks (a constant or combine counts as present)."""
        found = self.resolve(headers)
        return [c for c in self.required if c not in found and c not in self.constants and c not in self.combine]

    def score(self, headers: list[str]) -> int:
        present = {normalize_header(h) for h in headers}
        return len(self.resolve(headers)) + sum(all(h in present for h in hs) for hs, _ in self.combine.values())


def _values_file() -> dict[str, dict[str, Any]]:
    return tomllib.loads(resources.files(__package__).joinpath("mappings/values.toml").read_text("utf-8"))


def parse_mapping(raw: dict[str, Any], origin: str) -> Mapping:
    """Build a :class:`Mapping` from parsed TOML, checking every name against the schema."""
    try:
        name = raw["name"]
    except KeyError as exc:
        raise IngestError(origin, "bad_mapping", "映射文件缺少 name") from exc
    known_keys = {"name", "description", "required", "constants", "columns", "combine", "values", "date_formats"}
    unknown = set(raw) - known_keys
    if unknown:
        raise IngestError(
            origin, "bad_mapping", f"未知的键 {', '.join(sorted(unknown))}；可用的键：{', '.join(sorted(known_keys))}"
        )
    columns = {
        k: tuple(normalize_header(h) for h in ([v] if isinstance(v, str) else v))
        for k, v in raw.get("columns", {}).items()
    }
    combine = {}
    for column, spec in raw.get("combine", {}).items():
        if isinstance(spec, dict):  # {columns = ["来电日期", "来电时刻"], sep = " "}
            headers, sep = spec.get("columns", ()), str(spec.get("sep", ""))
        else:
            headers, sep = spec, ""
        combine[column] = (tuple(normalize_header(h) for h in headers), sep)
    constants = dict(raw.get("constants", {}))
    for section, names in (("columns", columns), ("combine", combine), ("constants", constants)):
        bad = set(names) - CANONICAL
        if bad:
            raise IngestError(origin, "bad_mapping", f"[{section}] 中有未知的标准字段：{', '.join(sorted(bad))}")
    values = _values_file()
    for column, table in raw.get("values", {}).items():
        if column not in CODED:
            raise IngestError(origin, "bad_mapping", f"[values.{column}]：只有 {', '.join(CODED)} 可以有取值映射")
        values[column] = {**values.get(column, {}), **table}
    return Mapping(
        name=name,
        description=raw.get("description", ""),
        required=tuple(raw.get("required", ("record_id", "created_at", "text"))),
        columns=columns,
        constants=constants,
        combine=combine,
        values=values,
        date_formats=tuple(raw.get("date_formats", ())),
        origin=origin,
    )


def load_mapping_file(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IngestError(path, "bad_mapping", "映射文件不存在") from exc
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(path, "bad_mapping", f"不是有效的 TOML（{exc}）") from exc
    return parse_mapping(raw, str(path))


@cache
def presets() -> dict[str, Mapping]:
    """The shipped mapping presets, by name."""
    folder = resources.files(__package__).joinpath("mappings")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.name != "values.toml":
            mapping = parse_mapping(tomllib.loads(entry.read_text("utf-8")), f"preset:{entry.name}")
            out[mapping.name] = mapping
    return out


def available_mappings(user_folder: Path | None = None) -> dict[str, Mapping]:
    """Presets plus the user's mapping files (a user file with a preset's name replaces it)."""
    found = dict(presets())
    if user_folder is not None and user_folder.is_dir():
        for path in sorted(user_folder.glob("*.toml")):
            mapping = load_mapping_file(path)
            found[mapping.name] = mapping
    return found


def choose_mapping(
    path: str | Path, headers: list[str], wanted: str | None = None, user_folder: Path | None = None
) -> Mapping:
    """The mapping named or given by ``wanted`` (a name or a TOML path), else the best fit for ``headers``.

    Raises :class:`IngestError` naming the closest mapping and what it lacks when none fits. The
    message lists only the file's headers that some mapping knows and counts the others: a file
    without a header row has data in its first row, and data never goes into a message.

    Examples
    --------
    >>> choose_mapping("x.csv", ["工单编号", "来电时间", "诉求内容"]).name
    'hotline_12345'
    """
    mappings = available_mappings(user_folder)
    if wanted is not None:
        if wanted in mappings:
            mapping = mappings[wanted]
        elif wanted.endswith(".toml"):
            mapping = load_mapping_file(wanted)
        else:
            known = "、".join(sorted(mappings))
            raise IngestError(path, "no_mapping", f"没有名为「{wanted}」的映射；已有的映射：{known}")
        missing = mapping.missing(headers)
        if missing:
            raise IngestError(
                path,
                "no_mapping",
                f"映射 {mapping.name} 需要的列在文件中找不到：{_explain(mapping, missing)}。"
                + _describe(headers, mappings),
            )
        return mapping
    fitting = [m for m in mappings.values() if not m.missing(headers)]
    if fitting:
        return max(fitting, key=lambda m: m.score(headers))
    closest = max(mappings.values(), key=lambda m: m.score(headers))
    raise IngestError(
        path,
        "no_mapping",
        f"没有映射能对应这个文件的表头。{_describe(headers, mappings)}最接近的映射是 {closest.name}，"
        f"还缺少：{_explain(closest, closest.missing(headers))}。"
        "请用 --mapping 指定映射文件（写法见 demandlab 仓库的 docs/mappings.md）。",
    )


def _describe(headers: list[str], mappings: dict[str, Mapping]) -> str:
    """The headers some mapping knows, and how many others there are (never their text)."""
    vocabulary = {h for m in mappings.values() for h in m.headers}
    known = [h for h in headers if normalize_header(h) in vocabulary]
    others = len(headers) - len(known)
    text = f"可识别的表头：{'、'.join(known)}" if known else "没有一个表头是已知的（文件可能没有表头行）"
    return text + (f"；另有 {others} 列无法识别。" if others else "。")


def _explain(mapping: Mapping, missing: list[str]) -> str:
    return "；".join(f"{c}（表头可以是 {' / '.join(mapping.columns.get(c, ()))}）" for c in missing)
