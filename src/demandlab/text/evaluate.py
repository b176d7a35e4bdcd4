"""Measuring the masker: recall and precision against personal data known to be there.

Two kinds of labelled text feed it: records whose planted values are known (the synthetic
district writes them to ``truth/pii.parquet``) and hand-written cases with the exact masked
output expected. A planted value counts as found when no trace of it survives masking
(digits compared without the spaces and dashes people put in numbers); a mask counts as
right when what it covered overlaps a planted value of that record.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .normalize import normalize
from .pii import find_pii, mask

_SEPARATORS = re.compile(r"(?<=[0-9])[\s\-·]+(?=[0-9A-Za-z])")


def _squash(text: str) -> str:
    return _SEPARATORS.sub("", normalize([text])[0] or "")


def _survives(kind: str, value: str, masked: str) -> bool:
    squashed = _squash(value)
    if kind in ("mobile", "landline", "id_number", "bank_card"):
        digits = re.sub(r"\D", "", squashed)
        digits = digits[-11:] if kind == "mobile" else digits
        return digits in re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", masked)
    if kind == "name":
        surname = value[0] if len(value) <= 3 and value[1:] in _HONORIFIC_TAILS else value
        return (value in masked) or (surname != value and surname + value[1:] in masked)
    if kind == "room":
        return re.search(rf"(?<!\d){re.escape(squashed)}(?!\d)", masked) is not None
    return squashed in masked


_HONORIFIC_TAILS = {
    "先生",
    "女士",
    "小姐",
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "师傅",
    "奶奶",
    "爷爷",
    "大姐",
    "大哥",
    "老师",
}


@dataclass
class MaskScores:
    planted: int = 0
    found: int = 0
    masks: int = 0
    right_masks: int = 0
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (type, value, masked text)
    wrong: list[tuple[str, str, str]] = field(default_factory=list)  # (type, covered text, text)
    by_type: Counter = field(default_factory=Counter)
    missed_by_type: Counter = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.right_masks / self.masks if self.masks else 1.0

    def as_dict(self) -> dict:
        return {
            "planted": self.planted,
            "found": self.found,
            "recall": round(self.recall, 5),
            "masks": self.masks,
            "right_masks": self.right_masks,
            "precision": round(self.precision, 5),
            "by_type": dict(self.by_type),
            "missed_by_type": dict(self.missed_by_type),
            "missed_examples": self.missed[:10],
            "wrong_examples": self.wrong[:10],
        }

    def add(self, other: MaskScores) -> MaskScores:
        return MaskScores(
            self.planted + other.planted,
            self.found + other.found,
            self.masks + other.masks,
            self.right_masks + other.right_masks,
            self.missed + other.missed,
            self.wrong + other.wrong,
            self.by_type + other.by_type,
            self.missed_by_type + other.missed_by_type,
        )


def score_planted(texts: Sequence[str], planted: Sequence[Iterable[tuple[str, str]]]) -> MaskScores:
    """Recall and precision on texts whose personal data is known (``planted[i]`` for ``texts[i]``)."""
    scores = MaskScores()
    for text, values in zip(texts, planted, strict=True):
        values = list(values)
        clean = normalize([text])[0] or ""
        masked = mask([clean])[0] or ""
        for kind, value in values:
            scores.planted += 1
            scores.by_type[kind] += 1
            if _survives(kind, value, masked):
                scores.missed.append((kind, value, masked))
                scores.missed_by_type[kind] += 1
            else:
                scores.found += 1
        squashed_values = [_squash(v) for _, v in values]
        for kind, covered in find_pii(clean):
            scores.masks += 1
            core = _squash(covered)
            if any(core and (core in v or v in core) for v in squashed_values):
                scores.right_masks += 1
            else:
                scores.wrong.append((kind, covered, clean))
    return scores


def score_cases(cases: Sequence[tuple[str, str, str]]) -> MaskScores:
    """Recall and precision on hand-written cases: (``pii`` | ``none``, input, expected masked output)."""
    scores = MaskScores()
    for kind, text, expected in cases:
        got = mask(normalize([text]))[0]
        n_masks = len(find_pii(normalize([text])[0] or ""))
        if kind == "pii":
            scores.planted += 1
            scores.by_type["case"] += 1
            if got == expected:
                scores.found += 1
                scores.masks += n_masks
                scores.right_masks += n_masks
            else:
                scores.missed.append(("case", text, got or ""))
                scores.missed_by_type["case"] += 1
                expected_masks = expected.count("〔")
                scores.masks += n_masks
                scores.right_masks += min(n_masks, expected_masks)
        else:
            scores.masks += n_masks
            if n_masks:
                scores.wrong.append(("case", text, got or ""))
    return scores
