"""项目清单: each demand of the 需求清单 matched with the resources of the 资源清单 that can address it.

A resource fits a demand by

=================  ==============================================================================
type (0.5)         the resource's type is one the demand's category calls for (``match.toml``: 维修
                   for 供水供暖, 法律 for 邻里纠纷 …); 其他 counts half
keywords (0.3)     words of the resource's description among the theme's keywords or label
                   (two or more: full)
target group (0.2) a resource for the elderly (children) and a demand where at least a quarter of
                   the records concern them: full; a resource for everyone: half; a resource for
                   one group and a demand that does not concern it: none
place (×)          the same community ×1, another community of the same street (the neighbours a
                   registry can tell) ×0.7, elsewhere in the district ×0.4 — strong units may serve
                   weak communities, but nearer comes first
=================  ==============================================================================

and is proposed when the product reaches :data:`THRESHOLD`. Pairs are taken best fit first (then the
demand of higher priority, then the nearer resource): a resource goes where it fits best, takes on no
more demands than its capacity (容量), and a demand gets up to :data:`PER_DEMAND` resources. Every
proposal says why, in Chinese. A demand nothing fits is a 资源缺口 of its community; communities come ranked by the
priority left unmet and then by how few resources reported to them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_files

import polars as pl

THRESHOLD = 0.5
PER_DEMAND = 2
PLACE = {"community": 1.0, "street": 0.7, "district": 0.4}
PLACE_ZH = {"community": "同一社区", "street": "同街道相邻社区", "district": "跨街道"}
TARGET_ZH = {"elderly": "老人", "children": "儿童", "all": "全体"}
#: a demand concerns a group when at least this share of its records do
GROUP_SHARE = 0.25


@cache
def category_types() -> dict[str, tuple[str, ...]]:
    """Category → the resource types that can address it (``match.toml``)."""
    raw = tomllib.loads(package_files.files(__package__).joinpath("match.toml").read_text("utf-8"))
    return {category: tuple(types) for category, types in raw["types"].items()}


@dataclass(frozen=True)
class Matching:
    """What :func:`match_demands` proposes: ``projects`` (one row per demand × resource), ``gaps`` (demands nothing
    fits) and ``communities`` (ranked by unmet priority, then fewest resources)."""

    projects: pl.DataFrame
    gaps: pl.DataFrame
    communities: pl.DataFrame


def fit(demand: dict, resource: dict, keywords: list[str], words: set[str]) -> tuple[float, list[str]]:
    """How well ``resource`` fits ``demand`` (0–1) and the reasons, in Chinese. ``keywords``: the theme's;
    ``words``: the words of the resource's description.

    >>> demand = {"category": "供水供暖", "theme_label": "暖气不热", "community": "A", "street": "S",
    ...           "elderly_share": 0.5, "children_share": 0.0}
    >>> resource = {"resource_type": "维修", "target": "elderly", "community": "A", "street": "S"}
    >>> fit(demand, resource, ["暖气", "供暖", "维修"], {"暖气", "维修", "上门"})
    (1.0, ['类型相符（维修）', '关键词：暖气、维修', '服务对象相符（老人）', '同一社区'])
    """
    reasons = []
    wanted = category_types().get(demand["category"] or "", ())
    kind = resource["resource_type"]
    type_fit = 1.0 if kind in wanted else 0.5 if kind == "其他" else 0.0
    if type_fit == 1.0:
        reasons.append(f"类型相符（{kind}）")
    shared = [w for w in dict.fromkeys([*keywords, *(demand["theme_label"] or "",)]) if w and w in words]
    keyword_fit = min(1.0, len(shared) / 2)
    if shared:
        reasons.append("关键词：" + "、".join(shared[:4]))
    target = resource["target"]
    concerned = {g for g in ("elderly", "children") if (demand.get(f"{g}_share") or 0) >= GROUP_SHARE}
    target_fit = 0.5 if target == "all" else 1.0 if target in concerned else 0.0
    if target_fit == 1.0:
        reasons.append(f"服务对象相符（{TARGET_ZH[target]}）")
    if resource["community"] == demand["community"]:
        place = "community"
    elif resource["street"] is not None and resource["street"] == demand["street"]:
        place = "street"
    else:
        place = "district"
    reasons.append(PLACE_ZH[place])
    score = (0.5 * type_fit + 0.3 * keyword_fit + 0.2 * target_fit) * PLACE[place]
    return round(score, 3), reasons


def match_demands(
    demands: pl.DataFrame,
    resources: pl.DataFrame,
    keywords: dict[int, list[str]],
    segment,
    *,
    threshold: float = THRESHOLD,
    per_demand: int = PER_DEMAND,
) -> Matching:
    """Match ``demands`` (:func:`demandlab.lists.demand`) with ``resources`` (the ``resources`` table).

    ``keywords``: theme id → its keywords; ``segment``: texts → word lists (:func:`demandlab.text.segment`).
    """
    cut = segment(resources["description"].fill_null("").to_list())
    words = {rid: set(tokens) for rid, tokens in zip(resources["resource_id"], cut, strict=True)}
    left = dict(zip(resources["resource_id"], resources["capacity"], strict=True))
    offers = resources.to_dicts()
    pairs = []
    for demand in demands.iter_rows(named=True):
        for resource in offers:
            score, reasons = fit(demand, resource, keywords.get(demand["theme_id"], []), words[resource["resource_id"]])
            if score >= threshold:
                far = resource["community"] != demand["community"]
                order = (
                    -score,
                    -demand["priority"],
                    far,
                    demand["community"],
                    demand["theme_id"],
                    resource["resource_id"],
                )
                pairs.append((order, demand, resource, reasons, score))
    taken: dict[tuple, int] = {}
    rows = []
    for _, demand, resource, reasons, score in sorted(pairs, key=lambda pair: pair[0]):
        key = (demand["community"], demand.get("grid_id"), demand["theme_id"])
        if left[resource["resource_id"]] <= 0 or taken.get(key, 0) >= per_demand:
            continue
        left[resource["resource_id"]] -= 1
        taken[key] = taken.get(key, 0) + 1
        rows.append({
            "street": demand["street"], "community": demand["community"], "theme_id": demand["theme_id"],
            "theme_label": demand["theme_label"], "priority": demand["priority"],
            "resource_id": resource["resource_id"], "provider": resource["provider"],
            "resource_type": resource["resource_type"], "resource_community": resource["community"],
            "description": resource["description"], "score": score, "reason": "；".join(reasons),
        })  # fmt: skip
    gaps = [d for d in demands.iter_rows(named=True) if (d["community"], d.get("grid_id"), d["theme_id"]) not in taken]
    projects = pl.DataFrame(rows, schema=PROJECT_SCHEMA).sort(
        ["priority", "community", "theme_id", "score"], descending=[True, False, False, True]
    )
    gap_frame = pl.DataFrame(gaps, schema=demands.schema) if gaps else demands.clear()
    return Matching(projects, gap_frame, _communities(demands, gap_frame, resources))


PROJECT_SCHEMA = {
    "street": pl.String, "community": pl.String, "theme_id": pl.Int32, "theme_label": pl.String,
    "priority": pl.Float64, "resource_id": pl.String, "provider": pl.String, "resource_type": pl.String,
    "resource_community": pl.String, "description": pl.String, "score": pl.Float64, "reason": pl.String,
}  # fmt: skip


def _communities(demands: pl.DataFrame, gaps: pl.DataFrame, resources: pl.DataFrame) -> pl.DataFrame:
    """Each community with demands: how many, how many unmet, the priority unmet, the resources reported to it."""
    listed = demands.group_by("street", "community").agg(demands=pl.len(), priority=pl.col("priority").sum())
    unmet = gaps.group_by("street", "community").agg(unmet=pl.len(), unmet_priority=pl.col("priority").sum())
    offered = resources.group_by("community").agg(resources=pl.len(), capacity=pl.col("capacity").sum())
    return (
        listed.join(unmet, on=["street", "community"], how="left")
        .join(offered, on="community", how="left")
        .with_columns(
            pl.col("unmet", "resources", "capacity").fill_null(0),
            pl.col("unmet_priority").fill_null(0.0).round(3),
            pl.col("priority").round(3),
        )
        .sort(["unmet_priority", "resources", "community"], descending=[True, False, False])
    )
