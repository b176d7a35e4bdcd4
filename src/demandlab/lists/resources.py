"""资源清单: what reporting units and party members (双报到) can offer their community, loaded from a sheet.

The template (:func:`write_template`, ``demandlab lists template resources``) has one row per resource:

=============  =====================================================================================
提供方          the unit (单位) or the party member (党员) who offers it — a member's name never lands:
               it becomes a salted pseudonym ``党员·k3f2ab`` (the same member, the same pseudonym)
提供方类型      单位 or 党员 (empty: 单位)
报到社区        the community the provider reported to (must be in the grid registry when one is loaded)
资源类型        场地, 资金, 志愿服务, 法律, 医疗, 维修, 教育, 心理, 文体, 物资, 其他 (法律服务 reads as 法律)
描述            what exactly (masked like every text: a phone number written here becomes 〔手机号〕)
服务对象        老人 / 儿童 / 全体 (empty: 全体)
可用时间        when (free text: 每周六上午, 寒暑假)
容量            how many demands it can take on at once (a whole number ≥ 1; empty: 1)
联系人, 联系电话  kept only as a salted key (``contact_key``), never in clear
=============  =====================================================================================

:func:`prepare_resources` is pure: every row is accepted or rejected with a reason, a column and a
Chinese message (rows read = accepted + rejected). The pipeline lands the batch like an export:
the same bytes are skipped, a changed file replaces the rows of the same resource (its id is a hash
of provider, community, type and description), rejects go to ``rejects``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import polars as pl

from ..ingest.table import ROW
from ..text import contact_keys, mask, normalize

#: column → the headers that name it (the first is the template's)
HEADERS: dict[str, tuple[str, ...]] = {
    "provider": ("提供方", "单位/党员", "单位名称", "报到单位", "党员姓名", "姓名"),
    "provider_kind": ("提供方类型", "类型", "报到类型"),
    "community": ("报到社区", "社区"),
    "resource_type": ("资源类型", "类别"),
    "description": ("描述", "资源描述", "内容", "具体内容"),
    "target": ("服务对象", "对象"),
    "available": ("可用时间", "服务时间", "时间"),
    "capacity": ("容量", "可承接数量", "可服务次数"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话", "电话", "手机"),
}
#: a sheet is a resource list when its header names these
REQUIRED = ("provider", "community", "resource_type")
RESOURCE_TYPES = ("场地", "资金", "志愿服务", "法律", "医疗", "维修", "教育", "心理", "文体", "物资", "其他")
TARGETS = {"老人": "elderly", "老年人": "elderly", "长者": "elderly", "儿童": "children", "孩子": "children",
           "青少年": "children", "学生": "children", "全体": "all", "全体居民": "all", "居民": "all"}  # fmt: skip
PROVIDER_KINDS = {
    "单位": "unit",
    "机关": "unit",
    "企业": "unit",
    "党组织": "unit",
    "党员": "member",
    "在职党员": "member",
}
#: why a row of a resource list is refused (``rejects.reason``), in the order they are checked
REASONS = ("missing_provider", "missing_community", "unknown_community", "bad_resource_type", "bad_capacity")
COLUMNS = [
    "resource_id", "provider", "provider_kind", "street", "community", "resource_type", "description", "target",
    "available", "capacity", "contact_key",
]  # fmt: skip


def matching_headers(headers: list[str], names_of: dict[str, tuple[str, ...]] = HEADERS) -> dict[str, str]:
    """Which header of ``headers`` gives each column of ``names_of`` (the first one that names it)."""
    found: dict[str, str] = {}
    for column, names in names_of.items():
        for header in headers:
            if header.strip() in names and column not in found:
                found[column] = header
    return found


def is_resource_list(headers: list[str]) -> bool:
    """Whether a sheet with ``headers`` is a resource list (it names provider, community and type)."""
    return all(c in matching_headers(headers) for c in REQUIRED)


def resource_type(value: str | None) -> str | None:
    """The type a cell names: exactly, or the one it starts with or contains (法律服务 → 法律); None if none.

    >>> [resource_type(v) for v in ["场地", "法律服务", "志愿服务队", "义诊（医疗）", "唱歌"]]
    ['场地', '法律', '志愿服务', '医疗', None]
    """
    text = (value or "").strip()
    if not text:
        return None
    for kind in RESOURCE_TYPES:
        if text == kind or text.startswith(kind):
            return kind
    hits = [kind for kind in RESOURCE_TYPES if kind in text]
    return hits[0] if len(hits) == 1 else None


def member_keys(names: list[str | None], salt: bytes) -> list[str | None]:
    """Party members as a salted pseudonym ``党员·xxxxxx``: the same member, the same key; the name never lands."""
    out = []
    for name in names:
        core = re.sub(r"\s|（.*?）|\(.*?\)|党员", "", name or "")
        if not core:
            out.append(None)
            continue
        digest = hashlib.blake2b(("member:" + core).encode(), key=salt[:64], digest_size=5).digest()
        out.append("党员·" + base64.b32encode(digest).decode("ascii").lower()[:6])
    return out


def prepare_resources(
    frame: pl.DataFrame, communities: dict[str, str | None] | None, salt: bytes
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Accepted resources (:data:`COLUMNS`) and rejected rows (``row_number``, ``column_name``, ``reason``,
    ``message``, ``value``) of one sheet read as strings (with its ``__row`` numbers).

    ``communities``: community → street of the grid registry, or None when no registry is loaded
    (then any community is accepted, without a street).
    """
    found = matching_headers([c for c in frame.columns if c != ROW])
    empty = pl.Series([None] * frame.height, dtype=pl.String)
    column = {c: frame[found[c]].cast(pl.String).str.strip_chars() if c in found else empty for c in HEADERS}
    accepted, rejected = [], []
    rows = frame[ROW].to_list() if ROW in frame.columns else list(range(2, frame.height + 2))
    for i, row_number in enumerate(rows):
        value = {c: (column[c][i] or None) for c in HEADERS}
        problem = _problem(value, communities, found)
        if problem:
            reason, col, message = problem
            rejected.append({"row_number": row_number, "column_name": col, "reason": reason, "message": message,
                             "value": value.get(next((c for c, h in found.items() if h == col), ""))})  # fmt: skip
            continue
        accepted.append(value | {"row_number": row_number})
    rejects = pl.DataFrame(rejected, schema={"row_number": pl.Int64, "column_name": pl.String, "reason": pl.String,
                                             "message": pl.String, "value": pl.String})  # fmt: skip
    if not accepted:
        return pl.DataFrame(schema=_schema()), rejects
    raw = pl.DataFrame(accepted, schema={**dict.fromkeys(HEADERS, pl.String), "row_number": pl.Int64})
    kinds = [PROVIDER_KINDS.get((k or "单位").strip(), "unit") for k in raw["provider_kind"]]
    providers = raw["provider"].to_list()
    members = member_keys(providers, salt)
    shown = [members[i] if kind == "member" else mask(normalize([providers[i]]))[0] for i, kind in enumerate(kinds)]
    ids = [
        "r" + hashlib.sha256("|".join(str(v or "") for v in (p, c, t, d)).encode()).hexdigest()[:12]
        for p, c, t, d in zip(providers, raw["community"], raw["resource_type"], raw["description"], strict=True)
    ]
    out = pl.DataFrame(
        {
            "resource_id": ids,
            "provider": shown,
            "provider_kind": kinds,
            "street": [None if communities is None else communities.get(c) for c in raw["community"]],
            "community": raw["community"],
            "resource_type": [resource_type(v) for v in raw["resource_type"]],
            "description": mask(normalize(raw["description"].to_list())),
            "target": [TARGETS.get((t or "全体").strip(), "all") for t in raw["target"]],
            "available": normalize(raw["available"].to_list()),
            "capacity": [int(c) if c else 1 for c in raw["capacity"]],
            "contact_key": contact_keys(raw["contact_phone"].to_list(), salt),
        },
        schema=_schema(),
    )
    # the last row of a resource named twice in one sheet wins, as a later file's does
    return out.unique("resource_id", keep="last", maintain_order=True), rejects


def _problem(value: dict, communities: dict | None, found: dict[str, str]) -> tuple[str, str, str] | None:
    header = {c: found.get(c, HEADERS[c][0]) for c in HEADERS}
    if not value["provider"]:
        return "missing_provider", header["provider"], f"{header['provider']}：提供方为空"
    if not value["community"]:
        return "missing_community", header["community"], f"{header['community']}：报到社区为空"
    if communities is not None and value["community"] not in communities:
        return "unknown_community", header["community"], f"{header['community']}：不在网格登记表的社区中"
    if resource_type(value["resource_type"]) is None:
        kinds = "、".join(RESOURCE_TYPES)
        return "bad_resource_type", header["resource_type"], f"{header['resource_type']}：应为 {kinds} 之一"
    capacity = value["capacity"]
    if capacity and not (capacity.isdigit() and int(capacity) >= 1):
        return "bad_capacity", header["capacity"], f"{header['capacity']}：应为不小于 1 的整数"
    return None


def _schema() -> dict:
    return {
        "resource_id": pl.String, "provider": pl.String, "provider_kind": pl.String, "street": pl.String,
        "community": pl.String, "resource_type": pl.String, "description": pl.String, "target": pl.String,
        "available": pl.String, "capacity": pl.Int64, "contact_key": pl.String,
    }  # fmt: skip


def write_template(path: str | Path) -> Path:
    """The resource list template: the header row with drop-downs for type, target and provider kind, and a
    说明 sheet saying what each column takes, with two example rows (never in the sheet that is loaded)."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = [names[0] for names in HEADERS.values()]
    widths = [18, 10, 12, 10, 36, 10, 16, 8, 10, 14]
    examples = [
        ["区司法局", "单位", "翠竹社区", "法律", "每月一次法律咨询进社区", "全体", "每月第一个周六上午", "2", "", ""],
        ["（党员姓名）", "党员", "翠竹社区", "教育", "四点半课堂作业辅导", "儿童", "工作日16:30-18:00", "1", "", ""],
    ]
    notes = [
        ("提供方", "报到单位名称，或在职党员姓名（党员姓名不会以明文保存）"),
        ("提供方类型", "单位 或 党员；空白按单位"),
        ("报到社区", "须与网格登记表中的社区名称一致"),
        ("资源类型", "、".join(RESOURCE_TYPES)),
        ("描述", "具体能提供什么"),
        ("服务对象", "老人 / 儿童 / 全体；空白按全体"),
        ("可用时间", "何时可以提供"),
        ("容量", "可同时承接的需求数（不小于 1 的整数）；空白按 1"),
        ("联系人 / 联系电话", "只以加密摘要保存，不以明文保存"),
    ]
    with xlsxwriter.Workbook(str(path)) as book:
        header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "font_name": "Microsoft YaHei"})
        cell = book.add_format({"font_name": "Microsoft YaHei", "text_wrap": True, "valign": "top"})
        sheet = book.add_worksheet("资源清单")
        for j, (name, width) in enumerate(zip(headers, widths, strict=True)):
            sheet.set_column(j, j, width, cell)
            sheet.write(0, j, name, header)
        last = 500
        sheet.data_validation(1, 1, last, 1, {"validate": "list", "source": ["单位", "党员"]})
        sheet.data_validation(1, 3, last, 3, {"validate": "list", "source": list(RESOURCE_TYPES)})
        sheet.data_validation(1, 5, last, 5, {"validate": "list", "source": ["老人", "儿童", "全体"]})
        sheet.data_validation(1, 7, last, 7, {"validate": "integer", "criteria": ">=", "value": 1})
        sheet.freeze_panes(1, 0)
        guide = book.add_worksheet("说明")
        guide.set_column(0, 0, 18)
        guide.set_column(1, 1, 70)
        for i, (name, note) in enumerate(notes):
            guide.write(i, 0, name, header)
            guide.write(i, 1, note, cell)
        guide.write(len(notes) + 1, 0, "示例", header)
        for i, row in enumerate(examples, start=len(notes) + 2):
            guide.write(i, 1, "、".join(f"{h}：{v}" for h, v in zip(headers, row, strict=True) if v), cell)
    return path
