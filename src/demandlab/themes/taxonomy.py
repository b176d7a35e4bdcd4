"""Categories: a small, stable, named taxonomy that themes map onto.

The shipped seed list (``taxonomy.toml``) has about twenty 急难愁盼 categories,
each with a description and seed terms. A user taxonomy replaces it by config:
either the same TOML shape, or a spreadsheet with 一级分类 / 二级分类 / 三级分类
columns (the three-level official taxonomy form), whose lower levels become the
seed terms of their top level.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

OTHER = "其他"


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    seed_terms: tuple[str, ...]


def _from_toml(text: str) -> list[Category]:
    raw = tomllib.loads(text)
    return [Category(c["name"], c.get("description", ""), tuple(c.get("seed_terms", ()))) for c in raw["category"]]


def _from_table(path: Path) -> list[Category]:
    from ..ingest.readers import read_table

    table = read_table(path, known_headers={"一级分类", "二级分类", "三级分类"})
    if "一级分类" not in table.headers:
        raise ValueError(f"{path}: a taxonomy table needs a 一级分类 column; found {table.headers}")
    frame = table.frame
    lower = [c for c in ("二级分类", "三级分类") if c in table.headers]
    categories: dict[str, set[str]] = {}
    for row in frame.iter_rows(named=True):
        top = (row["一级分类"] or "").strip()
        if not top:
            continue
        terms = categories.setdefault(top, {top})
        for column in lower:
            if row[column]:
                terms.add(row[column].strip())
    return [Category(name, "", tuple(sorted(terms))) for name, terms in categories.items()]


def load_taxonomy(path: str | Path | None = None) -> list[Category]:
    """The user's taxonomy at ``path`` (TOML, CSV or Excel), else the shipped seed list."""
    if path is None:
        return _from_toml(resources.files(__package__).joinpath("taxonomy.toml").read_text("utf-8"))
    path = Path(path)
    if path.suffix == ".toml":
        return _from_toml(path.read_text("utf-8"))
    return _from_table(path)


def _match(term: str, seed: str) -> bool:
    return seed == term or (len(seed) >= 2 and seed in term) or (len(term) >= 2 and term in seed)


def map_to_categories(keywords: list[list[str]], weights: list[list[float]], taxonomy: list[Category]) -> list[str]:
    """For each theme, the category whose seed terms carry most of its keyword weight.

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> map_to_categories([["电瓶车", "飞线充电", "楼道"]], [[0.5, 0.4, 0.1]], tax)
    ['电动车充电']
    """
    out = []
    for terms, term_weights in zip(keywords, weights, strict=True):
        scores: dict[str, float] = {}
        for rank, (term, weight) in enumerate(zip(terms, term_weights, strict=True)):
            words = term.split(" ")
            for category in taxonomy:
                if any(_match(w, s) for w in words for s in category.seed_terms):
                    scores[category.name] = scores.get(category.name, 0.0) + weight / (1 + 0.1 * rank)
        out.append(max(scores, key=scores.get) if scores else OTHER)
    return out
