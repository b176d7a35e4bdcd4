"""The Chinese names users read for the codes the data and the signals use: one place for each.

Codes stay English in tables and frames (``satisfied``, ``snapshot``, ``surge``); charts, the
report and the command line show these names. A label changed here changes everywhere.

>>> from demandlab.labels import ALERT_KINDS_ZH, SOURCE_LABELS_ZH
>>> ALERT_KINDS_ZH["crowd"], SOURCE_LABELS_ZH["visit"]
('多人同诉', '网格走访')
"""

from __future__ import annotations

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


__all__ = [
    "ALERT_KINDS_ZH",
    "LABELS_ZH",
    "METRIC_LABELS_ZH",
    "OTHER_SOURCE_ZH",
    "PLACE_KINDS_ZH",
    "SCOPE_KINDS_ZH",
    "SOURCE_LABELS_ZH",
    "grid_label",
]
