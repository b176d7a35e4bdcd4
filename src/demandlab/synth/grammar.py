"""Problem catalog and the small template grammar used to write record text.

Templates use ``[a|b|c]`` for a random alternative and ``{slot}`` for a value
filled by the caller. Alternatives are resolved first, so an alternative may
contain slots.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_CHOICE = re.compile(r"\[([^\[\]]*)\]")
#: Marks a template writer puts after a phrase that makes its record concern the elderly or children
#: (一老一小): the ground truth the focus tags are measured against. :func:`strip_focus` removes them.
FOCUS_MARKS = {"«e»": "elderly", "«c»": "children"}
_MARK = re.compile("|".join(FOCUS_MARKS))
_SLOT = re.compile(r"\{(\w+)\}")


def render(template: str, rnd: random.Random, slots: dict[str, str]) -> str:
    """Resolve the alternatives of ``template`` with ``rnd`` and fill its slots.

    Examples
    --------
    >>> render("[甲|乙]在{place}", random.Random(0), {"place": "1栋"}) in {"甲在1栋", "乙在1栋"}
    True
    """
    text = _CHOICE.sub(lambda m: rnd.choice(m.group(1).split("|")), template)
    return _SLOT.sub(lambda m: slots[m.group(1)], text)


def strip_focus(text: str) -> tuple[str, set[str]]:
    """``text`` without its focus marks, and the groups they named.

    >>> strip_focus("[老人]«e»上下楼困难")
    ('[老人]上下楼困难', {'elderly'})
    """
    groups = {FOCUS_MARKS[m.group(0)] for m in _MARK.finditer(text)}
    return _MARK.sub("", text), groups


@dataclass(frozen=True)
class Problem:
    """One recurring matter of the synthetic district, with its wordings."""

    key: str
    name: str
    category: str
    hotline_category: str
    dept: tuple[str, ...]
    place: str
    season: str
    weight: float
    sources: dict[str, float]
    keywords: tuple[str, ...]
    descriptions: tuple[str, ...]
    impacts: tuple[str, ...]
    requests: tuple[str, ...]
    titles: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    problems: tuple[Problem, ...]
    common: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_key(self, key: str) -> Problem:
        for problem in self.problems:
            if problem.key == key:
                return problem
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


@cache
def load_catalog() -> Catalog:
    """Load the shipped problem catalog (``problems.toml``)."""
    raw = tomllib.loads(resources.files(__package__).joinpath("problems.toml").read_text("utf-8"))
    problems = tuple(
        Problem(
            key=p["key"],
            name=p["name"],
            category=p["category"],
            hotline_category=p["hotline_category"],
            dept=tuple(p["dept"]),
            place=p["place"],
            season=p["season"],
            weight=float(p["weight"]),
            sources={k: float(v) for k, v in p["sources"].items()},
            keywords=tuple(p["keywords"]),
            descriptions=tuple(p["descriptions"]),
            impacts=tuple(p["impacts"]),
            requests=tuple(p["requests"]),
            titles=tuple(p["titles"]),
        )
        for p in raw["problem"]
    )
    common = {k: tuple(v) for k, v in raw["common"].items()}
    return Catalog(problems=problems, common=common)
