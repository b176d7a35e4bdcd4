"""The synthetic district's 资源清单: resources planted where a matcher should send them, and decoys.

For the community × problem pairs with the most records in the last 12 weeks, a unit reported to that
community offers a resource of a type the problem's category calls for (``lists/match.toml``), described
with the problem's own words: the planted matches. Decoys (文体: choirs, calligraphy) fit no demand of
the catalog. One row is a party member with a name and a phone number in clear, as real lists hold
them. Written as ``lists/资源清单.csv`` (UTF-8 with BOM, the template's headers); the truth says which
resource was planted for which community and problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from .grammar import Catalog
from .records import SynthRecord

#: how many matches to plant, and how many decoys
PLANTED, DECOYS = 6, 3
#: a planted match is for a demand with at least this many records in at least this many weeks of the window
MIN_RECORDS, MIN_WEEKS = 8, 4
WINDOW_WEEKS = 12
UNITS = {
    "维修": "区房屋维修中心", "法律": "区司法局", "医疗": "社区卫生服务中心", "教育": "区教育局机关党支部",
    "场地": "区机关事务管理局", "资金": "区慈善总会", "志愿服务": "区青年志愿者协会", "心理": "区心理咨询中心",
    "物资": "区供销合作社", "文体": "区文化馆", "其他": "区总工会",
}  # fmt: skip
ACTIONS = {
    "维修": "上门维修", "法律": "法律咨询与调解", "医疗": "义诊与健康指导", "教育": "作业辅导与课后托管",
    "场地": "提供活动场地", "资金": "提供专项资金", "志愿服务": "志愿服务", "心理": "心理疏导", "物资": "捐赠物资",
}  # fmt: skip
TARGET = {"养老服务": "老人", "托育与教育": "儿童"}


def resource_categories() -> frozenset[str]:
    """The categories whose demands some resource type meets (``lists/match.toml``)."""
    # imported here: demandlab.lists brings the signals and scikit-learn, which the processes making a grown
    # district's weeks (they only count) need not load
    from ..lists.match import category_types

    return frozenset(category for category, types in category_types().items() if types)


@dataclass
class DemandTally:
    """What the resource list is planted from, counted as records come: per (street, community, problem) of one
    of ``categories`` (:func:`resource_categories`), the records and ISO weeks in the last :data:`WINDOW_WEEKS`
    weeks up to ``end``; and every community with a record."""

    catalog: Catalog
    end: dt.date
    categories: frozenset[str]
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    weeks: dict[tuple[str, str, str], set] = field(default_factory=dict)
    communities: set[str] = field(default_factory=set)

    def add(self, records: list[SynthRecord]) -> DemandTally:
        first = self.end - dt.timedelta(days=self.end.weekday(), weeks=WINDOW_WEEKS - 1)
        problems = {p.key: p for p in self.catalog.problems}
        for r in records:
            self.communities.add(r.grid.community)
            if r.created_at.date() >= first and problems[r.problem].category in self.categories:
                key = (r.grid.street, r.grid.community, r.problem)
                self.counts[key] = self.counts.get(key, 0) + 1
                self.weeks.setdefault(key, set()).add(r.created_at.isocalendar()[:2])
        return self

    def merge(self, other: DemandTally) -> None:
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
            self.weeks.setdefault(key, set()).update(other.weeks[key])
        self.communities |= other.communities


def write_resources(tally: DemandTally, folder: Path, seed: int) -> tuple[Path, dict]:
    """Write the district's resource list into ``folder`` and return it with its truth."""
    from ..lists.match import category_types
    from ..lists.resources import HEADERS

    rnd = random.Random(seed * 7919 + 13)
    problems = {p.key: p for p in tally.catalog.problems}
    types = category_types()
    counts, weeks = tally.counts, tally.weeks
    # a demand that recurs whatever the people behind it: many records over many weeks
    ranked = sorted(
        ((key, n) for key, n in counts.items() if n >= MIN_RECORDS and len(weeks[key]) >= MIN_WEEKS),
        key=lambda kv: (-kv[1], kv[0]),
    )
    planted, seen_categories = [], set()
    for (street, community, problem_key), n in ranked:
        problem = problems[problem_key]
        if problem.category in seen_categories:  # one per category: each match tells its own type apart
            continue
        seen_categories.add(problem.category)
        kind = types[problem.category][0]
        words = "、".join(problem.keywords[:2])
        planted.append({
            "提供方": UNITS[kind], "提供方类型": "单位", "报到社区": community, "资源类型": kind,
            "描述": f"针对{words}问题的{ACTIONS.get(kind, '服务')}", "服务对象": TARGET.get(problem.category, "全体"),
            "可用时间": "每周六上午", "容量": "1", "联系人": "", "联系电话": "",
            "_truth": {"street": street, "community": community, "problem": problem_key,
                       "category": problem.category, "resource_type": kind, "records": n},
        })  # fmt: skip
        if len(planted) == PLANTED:
            break
    communities = sorted(tally.communities)
    decoys = [
        {"提供方": "区文化馆", "提供方类型": "单位", "报到社区": rnd.choice(communities), "资源类型": "文体",
         "描述": text, "服务对象": "全体", "可用时间": "每月一次", "容量": "1", "联系人": "", "联系电话": ""}
        for text in ("合唱指导", "书法培训", "摄影讲座")[:DECOYS]
    ]  # fmt: skip
    member = {"提供方": "赵志刚", "提供方类型": "党员", "报到社区": rnd.choice(communities), "资源类型": "文体",
              "描述": "周末象棋兴趣班", "服务对象": "全体", "可用时间": "周日下午", "容量": "1",
              "联系人": "赵志刚", "联系电话": "13712345678"}  # fmt: skip
    rows = [*planted, *decoys, member]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "资源清单.csv"
    headers = [names[0] for names in HEADERS.values()]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    truth = {
        "file": str(path.name),
        "planted_matches": [p["_truth"] | {"provider": p["提供方"]} for p in planted],
        "decoys": [d["描述"] for d in decoys],
        "member_name": member["提供方"],
        "member_phone": member["联系电话"],
    }
    return path, truth
