"""The Chinese names users read for the codes the data and the signals use: one place for each.

Codes stay English in tables and frames (``satisfied``, ``snapshot``, ``surge``); charts, the
report and the command line show these names. A label changed here changes everywhere. A code no map
knows is shown as what it is (其他原因) with the code in brackets (:func:`label_zh`), never dropped. How a
scope and the district are named comes from the names in the data (:func:`scope_name`, :func:`district_of`).

>>> from demandlab.labels import ALERT_KINDS_ZH, SOURCE_LABELS_ZH
>>> ALERT_KINDS_ZH["crowd"], SOURCE_LABELS_ZH["visit"]
('多人同诉', '网格走访')
"""

from __future__ import annotations

import re

#: Coded values of the canonical record (kind, channel, status, satisfaction, resolved_level; see
#: ``schema.VALUES``), and the source systems that are not also a kind.
LABELS_ZH: dict[str, str] = {
    "complaint": "投诉",
    "request": "求助",
    "consult": "咨询",
    "suggestion": "建议",
    "praise": "表扬",
    "visit": "走访",
    "report": "上报",
    "phone": "电话",
    "app": "APP",
    "web": "网站",
    "wechat": "微信",
    "walk-in": "来访",
    "open": "待受理",
    "dispatched": "已派单",
    "responded": "处理中",
    "closed": "已办结",
    "reopened": "重办",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "not_surveyed": "未回访",
    "grid": "网格",
    "community": "社区",
    "street": "街道",
    "district": "区级",
    "12345": "12345热线",
    "snapshot": "随手拍",
    "message_board": "网上留言",
}

#: Source systems (the ``source`` column), as the report and the charts name them.
SOURCE_LABELS_ZH: dict[str, str] = {
    "12345": "12345热线",
    "snapshot": "随手拍",
    "visit": "网格走访",
    "message_board": "网上留言",
}
#: What a source outside :data:`SOURCE_LABELS_ZH` is called when sources are counted together.
OTHER_SOURCE_ZH = "其他来源"

#: Alert kinds (``mart_alerts.kind``).
ALERT_KINDS_ZH: dict[str, str] = {"surge": "激增", "crowd": "多人同诉", "repeat_caller": "一人多诉"}
#: The scope kinds of a report (``--scope street=…``).
SCOPE_KINDS_ZH: dict[str, str] = {"street": "街道", "community": "社区", "grid_id": "网格"}

#: Kinds of place a record names (``record_places.place_kind``).
PLACE_KINDS_ZH: dict[str, str] = {"compound": "小区", "poi": "场所", "road": "道路"}

#: Closed-loop measures (columns of ``mart_kpi`` and ``mart_week_summary``).
METRIC_LABELS_ZH: dict[str, str] = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "ontime_rate": "按期办结率",
    "grid_closed_share": "网格内办结占比",
    "reopen_rate": "重办率",
    "hours_to_close_median": "办结时长中位数（小时）",
    "overdue_open": "逾期未结",
}

#: Why a row was rejected on loading (``rejects.reason``; the codes are ``demandlab.ingest.REASONS``).
REJECT_REASONS_ZH: dict[str, str] = {
    "malformed_row": "行格式错误",
    "bad_encoding": "编码无法识别",
    "nul_byte": "含空字符",
    "field_too_large": "字段超长",
    "cell_too_large": "单元格超长",
    "missing_id": "缺少编号",
    "bad_time": "时间缺失或无法识别",
    "time_out_of_range": "时间超出合理范围",
    "unknown_grid": "网格不在登记表中",
    "empty_text": "标题和内容均为空",
    "formula_no_value": "公式没有计算结果",
    "duplicate_id": "编号重复",
    "unknown_record": "从未导入的记录",
    # a resource list (资源清单, demandlab.lists.resources)
    "missing_provider": "缺少提供方",
    "missing_community": "缺少报到社区",
    "unknown_community": "社区不在登记表中",
    "bad_resource_type": "资源类型无法识别",
    "bad_capacity": "容量不是正整数",
    # a project list (项目清单, demandlab.lists.projects)
    "unknown_theme": "问题不在需求清单中",
    "bad_date": "日期无法识别",
}
#: What an unknown code is called, before the code itself in brackets (:func:`label_zh`).
OTHER_REASON_ZH = "其他原因"


def label_zh(code: str | None, labels: dict[str, str], other: str) -> str:
    """``code`` as ``labels`` name it in Chinese; a code they do not know reads ``other`` with the code in
    brackets, so a new code is still shown, and shown to be one.

    >>> label_zh("bad_time", REJECT_REASONS_ZH, "其他原因")
    '时间缺失或无法识别'
    >>> label_zh("new_rule", REJECT_REASONS_ZH, "其他原因")
    '其他原因（new_rule）'
    """
    if code in labels:
        return labels[code]
    return other if code is None or code == "" else f"{other}（{code}）"


def source_zh(code: str | None) -> str:
    """A source system (``source``) in Chinese: ``12345热线``, ``其他来源（hotline2）``."""
    return label_zh(code, SOURCE_LABELS_ZH, OTHER_SOURCE_ZH)


def reject_reason_zh(code: str | None) -> str:
    """A reject reason code (``rejects.reason``) in Chinese: ``缺少编号``, ``其他原因（new_rule）``."""
    return label_zh(code, REJECT_REASONS_ZH, OTHER_REASON_ZH)


def short_version(version: str | None) -> str | None:
    """A model id as a reader needs it, to tell two models apart: six characters after its kind prefix.

    >>> short_version("tm-9681afb88815"), short_version(None)
    ('9681af', None)
    """
    return None if not version else version.rpartition("-")[2][:6]


# A district's name as the registry or the records write it before a street: 西湖区北山街道, 杭州市西湖区北山街道,
# 瑞安市安阳街道 (a county-level city). 社区, 小区, 园区, 景区 and 校区 end in 区 but are not districts.
_DISTRICT = re.compile(
    r"(?:\w{1,8}?省)?(?:\w{1,8}?市)?(?P<district>\w{1,8}?(?:(?<![社小园景校])区|县|旗|市))(?=\w+?(?:街道|镇|乡))"
)


def district_of(streets: dict[str | None, int]) -> str | None:
    """The district most of ``streets`` (street name → weight: its grids or its records) are named in, from
    the district written before a street's own name; None when fewer than half of the weight carries the
    same one (streets written without a district, or a database of several districts).

    >>> district_of({"西湖区北山街道": 12, "西湖区灵隐街道": 9, "上城区湖滨街道": 2})
    '西湖区'
    >>> district_of({"杭州市西湖区北山街道": 3}), district_of({"瑞安市安阳街道": 3}), district_of({"东湖街道": 5})
    ('西湖区', '瑞安市', None)
    """
    weights: dict[str, int] = {}
    for street, weight in streets.items():
        match = _DISTRICT.match(street or "")
        if match:
            weights[match["district"]] = weights.get(match["district"], 0) + weight
    if not weights:
        return None
    best = min(weights, key=lambda name: (-weights[name], name))
    return best if 2 * weights[best] > sum(streets.values()) else None


def grid_label(grid_name: str | None, community: str | None) -> str:
    """A grid as people name it: its community, then its name without the community repeated.

    >>> grid_label("翠竹社区第4网格", "翠竹社区")
    '翠竹社区第4网格'
    >>> grid_label("第4网格", "翠竹社区")
    '翠竹社区第4网格'
    >>> grid_label(None, None)
    ''
    """
    name = grid_name or ""
    return f"{community or ''}{name.removeprefix(community or '') or name}"


def scope_name(kind: str, value: str, grids: list[dict]) -> str:
    """A report's scope (``kind`` street, community or grid_id) as people name it, from the rows of its
    grids (``grid_id``, ``grid_name``, ``community``, ``street``): a street by its name, a community with its
    street, a grid by its community and name with its street; ``value`` itself when no row names it.

    >>> grids = [{"grid_id": "DH0104", "grid_name": "第4网格", "community": "翠竹社区", "street": "东湖街道"}]
    >>> scope_name("grid_id", "DH0104", grids), scope_name("community", "翠竹社区", grids)
    ('翠竹社区第4网格（东湖街道）', '翠竹社区（东湖街道）')
    >>> scope_name("grid_id", "XX9999", grids), scope_name("street", "东湖街道", grids)
    ('XX9999', '东湖街道')
    """
    if kind == "grid_id":
        row = next((r for r in grids if r.get("grid_id") == value), None)
        if row is None:
            return value
        name, street = grid_label(row.get("grid_name") or value, row.get("community")), row.get("street")
    elif kind == "community":
        streets = [r["street"] for r in grids if r.get("community") == value and r.get("street")]
        name, street = value, max(sorted(set(streets)), key=streets.count) if streets else None
    else:
        return value
    return f"{name}（{street}）" if street else name


_P_VALUE = re.compile(r"[，,]\s*p\s*=\s*[0-9.]+(?:e[-+]?\d+)?", re.IGNORECASE)


def evidence_in_words(evidence: str | None) -> str:
    """An alert's evidence as staff read it: the p-value said in words (显著高于常态); the figures stay in
    the page's tooltip (the evidence as stored).

    >>> evidence_in_words("本周10件（10人），近期周均0.3件，预期0.4件，p=1.6e-09")
    '本周10件（10人），近期周均0.3件，预期0.4件，显著高于常态'
    >>> evidence_in_words("7天内6人反映")
    '7天内6人反映'
    """
    return _P_VALUE.sub("，显著高于常态", evidence or "")


__all__ = [
    "ALERT_KINDS_ZH",
    "LABELS_ZH",
    "METRIC_LABELS_ZH",
    "OTHER_REASON_ZH",
    "OTHER_SOURCE_ZH",
    "PLACE_KINDS_ZH",
    "REJECT_REASONS_ZH",
    "SCOPE_KINDS_ZH",
    "SOURCE_LABELS_ZH",
    "district_of",
    "evidence_in_words",
    "grid_label",
    "label_zh",
    "reject_reason_zh",
    "scope_name",
    "short_version",
    "source_zh",
]
