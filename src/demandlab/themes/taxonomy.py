"""Categories: a small, stable, named taxonomy that themes map onto, and the evidence for each mapping.

The shipped seed list (``taxonomy.toml``) has about twenty 急难愁盼 categories, each with a
description and seed terms. A user taxonomy replaces it by config: either the same TOML shape, or a
table (CSV or Excel) with a 一级分类 column and optionally 二级分类 / 三级分类 (the official
three-level form). A table becomes a tree: each 一级 category holds its 二级 categories, each 二级
its 三级 ones. A category is named by its path, as the user knows it (``城乡建设 / 住房保障与房地产
/ 物业服务``), and its terms are its own name and the names of every category below it, each also cut
at 和 / 与 / 及 / 、 (``机动车和驾驶员管理`` → 机动车, 驾驶员管理). A row's 其他 below the top level
names no matter and is skipped: a theme never maps to ``城乡建设 / 其他``.

How a theme maps (:func:`categorize`): a theme is described by its keywords and their class-based
TF-IDF weights. A keyword is evidence for a category as far as it matches one of the category's
terms: fully when it is the term, else by the share of the longer word the shorter one covers when
one contains the other (乱停车 → 停车 2/3, 噪音 → 噪音污染 1/2), never through a single character
(停电 does not reach 电梯 through 电; 公司 reaches 物业公司 only by half). A word pair counts the mean
of its two words, and a word counts only for the categories it matches best (加装电梯 for 加装电梯,
not also for the 电梯 of 物业服务). A category's **score** is the share of the theme's keyword weight
its terms match (0–1). The theme maps to the best category only when

* the score is at least :data:`MIN_SCORE` (0.2: a fifth of what sets the theme apart), and
* it is at least :data:`MARGIN` (1.5) times the runner-up's (the evidence points one way);

otherwise the theme is :data:`OTHER` (其他, 未映射) with its best candidates and their scores, for an
analyst to decide. In a tree the same test is applied again among the chosen category's
subcategories, and the theme goes as deep as the evidence holds: ``城乡建设 / 城乡规划`` when a
二级 category carries it, ``城乡建设`` when only the 一级 one does.

``bench/theme_labels.py`` records, in one run, how many themes map on the synthetic district (every
mapped theme gets the category of its planted problem) and on real messages, with the shipped list
and with taidi2020c's own three-level table (whose mapped 一级 categories are checked against the
labels of the themes' messages), beside what the old rule — any keyword inside any seed term or the
reverse, the largest sum wins — mapped: it filed 停电 under 加装电梯 and 车管所 under 停车.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

OTHER = "其他"
#: How 其他 reads when no category had the evidence (``demandlab themes list`` shows it so).
UNMAPPED_ZH = "其他（未映射）"
#: Least share of a theme's keyword weight a category must match to take the theme.
MIN_SCORE = 0.2
#: The best category's score must be at least this many times the runner-up's.
MARGIN = 1.5
#: Candidates kept beside each mapping (best first).
N_CANDIDATES = 3
PATH_SEPARATOR = " / "
LEVELS = ("一级分类", "二级分类", "三级分类")
_CONJUNCTIONS = re.compile(r"[和与及、，,/]")


@dataclass(frozen=True)
class Category:
    """A category: its name (a path for a table taxonomy), what it covers, its terms, and its subcategories."""

    name: str
    description: str
    seed_terms: tuple[str, ...]
    children: tuple[Category, ...] = ()


@dataclass(frozen=True)
class CategoryMatch:
    """Where a theme maps and on what evidence.

    ``category``: the category's name (path), or :data:`OTHER` when no category had the evidence;
    ``score``: the chosen category's score, None when unmapped; ``candidates``: the best top-level
    categories with their scores, best first (at most :data:`N_CANDIDATES`, none with score 0).
    """

    category: str
    score: float | None
    candidates: tuple[tuple[str, float], ...]

    @property
    def mapped(self) -> bool:
        return self.score is not None


def _from_toml(text: str) -> list[Category]:
    raw = tomllib.loads(text)
    return [Category(c["name"], c.get("description", ""), tuple(c.get("seed_terms", ()))) for c in raw["category"]]


def _name_terms(name: str) -> set[str]:
    """A category name and its parts cut at conjunctions (和, 与, 及, 、)."""
    return {name} | {part for part in _CONJUNCTIONS.split(name) if len(part) >= 2}


def _tree(paths: list[tuple[str, ...]]) -> list[Category]:
    """Categories from the distinct paths of a table, in the order they first appear."""
    below: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for path in paths:
        for depth in range(1, len(path) + 1):
            node, parent = path[:depth], path[: depth - 1]
            siblings = below.setdefault(parent, [])
            if node not in siblings:
                siblings.append(node)

    def build(node: tuple[str, ...]) -> Category:
        children = tuple(build(child) for child in below.get(node, []))
        terms = _name_terms(node[-1]).union(*(c.seed_terms for c in children))
        return Category(PATH_SEPARATOR.join(node), "", tuple(sorted(terms)), children)

    return [build(top) for top in below.get((), [])]


def _from_table(path: Path) -> list[Category]:
    from ..ingest.readers import read_table

    table = read_table(path, known_headers=set(LEVELS))
    if LEVELS[0] not in table.headers:
        raise ValueError(f"{path}: a taxonomy table needs a 一级分类 column; found {table.headers}")
    levels = [c for c in LEVELS if c in table.headers]
    paths = []
    for row in table.frame.select(levels).iter_rows():
        names = [(value or "").strip() for value in row]
        if not names[0]:
            continue
        path = [names[0]]
        for name in names[1:]:
            if not name or name == OTHER:  # 城乡建设 / 其他 names no matter of its own
                break
            path.append(name)
        paths.append(tuple(path))
    return _tree(paths)


def load_taxonomy(path: str | Path | None = None) -> list[Category]:
    """The user's taxonomy at ``path`` (TOML, CSV or Excel), else the shipped seed list.

    A table's top-level categories come back with their subcategories in ``children``.

    Examples
    --------
    >>> [c.name for c in load_taxonomy()][:3]
    ['物业服务', '加装电梯', '停车']
    """
    if path is None:
        return _from_toml(resources.files(__package__).joinpath("taxonomy.toml").read_text("utf-8"))
    path = Path(path)
    if path.suffix == ".toml":
        return _from_toml(path.read_text("utf-8"))
    return _from_table(path)


def match_strength(keyword: str, term: str) -> float:
    """How far ``keyword`` matches ``term``: 1 when equal, else the share of the longer word covered
    by the shorter one when it holds it (two characters at least), else 0.

    Examples
    --------
    >>> match_strength("乱停车", "停车"), match_strength("噪音", "噪音污染"), match_strength("停电", "加装电梯")
    (0.6666666666666666, 0.5, 0.0)
    """
    if keyword == term:
        return 1.0
    short, long = (keyword, term) if len(keyword) <= len(term) else (term, keyword)
    return len(short) / len(long) if len(short) >= 2 and short in long else 0.0


def category_scores(keywords: list[str], weights: list[float], categories: list[Category]) -> list[tuple[str, float]]:
    """Each category's score for one theme: the share of the theme's keyword weight its terms match.

    A keyword word counts only for the categories it matches best (加装电梯 is the term of 加装电梯
    and merely holds the 电梯 of 物业服务: it counts for 加装电梯 alone). Best first, ties by name;
    categories that match nothing are left out.
    """
    total = sum(weights)
    if total <= 0 or not categories:
        return []
    matched = [0.0] * len(categories)
    for keyword, weight in zip(keywords, weights, strict=True):
        words = keyword.split(" ")
        for word in words:
            strengths = [max((match_strength(word, t) for t in c.seed_terms), default=0.0) for c in categories]
            best = max(strengths)
            if best > 0:
                for i, strength in enumerate(strengths):
                    if strength == best:
                        matched[i] += weight * best / len(words)
    scores = [(c.name, m / total) for c, m in zip(categories, matched, strict=True) if m > 0]
    return sorted(scores, key=lambda s: (-s[1], s[0]))


def _decisive(scores: list[tuple[str, float]]) -> tuple[str, float] | None:
    if not scores:
        return None
    best, runner_up = scores[0], (scores[1][1] if len(scores) > 1 else 0.0)
    return best if best[1] >= MIN_SCORE and best[1] >= MARGIN * runner_up else None


def categorize(keywords: list[list[str]], weights: list[list[float]], taxonomy: list[Category]) -> list[CategoryMatch]:
    """For each theme, the finest category its keywords give enough evidence for (module docstring).

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> keywords = [["电瓶车", "飞线充电", "楼道"], ["停电", "供电公司", "小区"]]
    >>> charging, blackout = categorize(keywords, [[0.5, 0.4, 0.1]] * 2, tax)
    >>> charging.category, round(charging.score, 2)
    ('电动车充电', 0.7)
    >>> blackout.category, blackout.mapped
    ('其他', False)
    """
    out = []
    for terms, term_weights in zip(keywords, weights, strict=True):
        top = category_scores(terms, term_weights, taxonomy)
        candidates = tuple((name, round(score, 4)) for name, score in top[:N_CANDIDATES])
        chosen, level = _decisive(top), taxonomy
        found = None
        while chosen is not None:
            found = chosen
            node = next(c for c in level if c.name == chosen[0])
            level = list(node.children)
            chosen = _decisive(category_scores(terms, term_weights, level)) if level else None
        if found is None:
            out.append(CategoryMatch(OTHER, None, candidates))
        else:
            out.append(CategoryMatch(found[0], round(found[1], 4), candidates))
    return out


def map_to_categories(keywords: list[list[str]], weights: list[list[float]], taxonomy: list[Category]) -> list[str]:
    """For each theme, the category :func:`categorize` gives it (:data:`OTHER` without enough evidence).

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> map_to_categories([["电瓶车", "飞线充电", "楼道"], ["车管所", "驾照"]], [[0.5, 0.4, 0.1], [0.6, 0.4]], tax)
    ['电动车充电', '其他']
    """
    return [m.category for m in categorize(keywords, weights, taxonomy)]
