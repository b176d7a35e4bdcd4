"""Measuring the masker: recall and precision per kind against personal data known to be there.

Two kinds of labelled text feed it:

* hand-written cases with the exact masked output expected (``kind``, input, expected). The
  expected output marks every value to mask with its placeholder, so both outputs are aligned
  to the input and compared span by span: a value counts as found when the masker covered
  exactly it with the right type; a mask counts as right when it is one of the expected ones;
* cells of a synthetic district whose planted values are known (``truth/pii.parquet``, one row
  per value with its column). A planted value counts as found when no trace of it survives
  the column's cleaning (digits, Chinese numerals among them, compared without the spaces,
  dashes and dots people put in numbers); a mask counts as right when what it covered
  overlaps a value planted in that cell.

Any masker can be measured, so a benchmark can put an older one beside the current one as an
anchor (see :class:`Masker`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from .normalize import normalize
from .pii import PLACEHOLDER, PLACEHOLDER_PATTERN, grid_worker_keys, mask_building, mask_dept, mask_one

_KIND_OF = {placeholder: kind for kind, placeholder in PLACEHOLDER.items()}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_NUMERALS = str.maketrans("〇零一二三四五六七八九幺两", "0012345678912")
_NUMBER_SEPARATORS = re.compile(r"(?<=[0-9])[\s\-.·]+(?=[0-9])")
_SEPARATORS = re.compile(r"[\s\-.·]+")
_NUMBER_KINDS = ("mobile", "landline", "id_number", "bank_card", "qq")


def load_cases(path: str | Path) -> list[tuple[str, str, str]]:
    """Hand-written cases from a TSV file: ``kind<TAB>input<TAB>expected`` per line.

    Lines starting with ``#`` are comments; ``\\uXXXX`` in the input or expected output stands for
    that character (invisible ones, such as U+202E, are written so).
    """
    cases = []
    for line in Path(path).read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, text, expected = (_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), x) for x in line.split("\t"))
            cases.append((kind, text, expected))
    return cases


@dataclass(frozen=True)
class Masker:
    """A masker to measure: how it normalises, masks one text (reporting what it masked) and cleans columns.

    ``columns`` maps a record column to the function that cleans a list of its raw values, or to
    None for a column the masker leaves as it is; a column not listed is masked as free text.
    """

    name: str
    normalize: Callable[[list[str | None]], list[str | None]]
    mask_one: Callable[[str | None, list | None], str | None]
    columns: dict[str, Callable[[list[str | None]], list[str | None]] | None] = field(default_factory=dict)

    def clean(self, column: str, values: list[str | None]) -> list[str | None]:
        if column not in self.columns:
            return [self.mask_one(t, None) for t in self.normalize(values)]
        fn = self.columns[column]
        return list(values) if fn is None else fn(values)

    def find(self, text: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        self.mask_one(text, found)
        return found


def current_masker(salt: bytes = b"evaluation") -> Masker:
    """This package's masker, with the column cleaners ``clean_records`` uses."""
    return Masker(
        "current",
        normalize,
        mask_one,
        {
            "dept": lambda v: mask_dept(normalize(v)),
            "building": lambda v: mask_building(normalize(v)),
            "grid_worker": lambda v: grid_worker_keys(normalize(v), salt),
        },
    )


@dataclass
class MaskScores:
    """Counts behind recall and precision, overall and per kind."""

    planted: int = 0
    found: int = 0
    masks: int = 0
    right_masks: int = 0
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (type, value, masked text)
    wrong: list[tuple[str, str, str]] = field(default_factory=list)  # (type, covered text, text)
    by_type: Counter = field(default_factory=Counter)
    missed_by_type: Counter = field(default_factory=Counter)
    masks_by_type: Counter = field(default_factory=Counter)
    right_by_type: Counter = field(default_factory=Counter)
    cases: int = 0
    cases_exact: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.right_masks / self.masks if self.masks else 1.0

    def per_kind(self) -> dict[str, dict]:
        """Recall and precision of each kind (None where there was nothing to measure)."""
        out = {}
        for kind in sorted(set(self.by_type) | set(self.masks_by_type)):
            planted, masks = self.by_type[kind], self.masks_by_type[kind]
            out[kind] = {
                "planted": planted,
                "found": planted - self.missed_by_type[kind],
                "recall": round((planted - self.missed_by_type[kind]) / planted, 5) if planted else None,
                "masks": masks,
                "right_masks": self.right_by_type[kind],
                "precision": round(self.right_by_type[kind] / masks, 5) if masks else None,
            }
        return out

    def as_dict(self) -> dict:
        out = {
            "planted": self.planted,
            "found": self.found,
            "recall": round(self.recall, 5),
            "masks": self.masks,
            "right_masks": self.right_masks,
            "precision": round(self.precision, 5),
            "per_kind": self.per_kind(),
            "missed_examples": self.missed[:10],
            "wrong_examples": self.wrong[:10],
        }
        if self.cases:
            out |= {"cases": self.cases, "cases_exact": self.cases_exact}
        return out

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
            self.masks_by_type + other.masks_by_type,
            self.right_by_type + other.right_by_type,
            self.cases + other.cases,
            self.cases_exact + other.cases_exact,
        )

    def _plant(self, kind: str, value: str, survived: bool, masked: str) -> None:
        self.planted += 1
        self.by_type[kind] += 1
        if survived:
            self.missed.append((kind, value, masked))
            self.missed_by_type[kind] += 1
        else:
            self.found += 1

    def _mask(self, kind: str, covered: str, right: bool, text: str) -> None:
        self.masks += 1
        self.masks_by_type[kind] += 1
        if right:
            self.right_masks += 1
            self.right_by_type[kind] += 1
        else:
            self.wrong.append((kind, covered, text))


# --- hand-written cases ------------------------------------------------------------------------
def masked_spans(source: str, masked: str) -> list[tuple[str, int, int]] | None:
    """The spans of ``source`` that ``masked`` replaced by placeholders, with their kinds.

    None when ``masked`` is not ``source`` with some parts replaced (the masker changed other text).

    >>> masked_spans("王女士电话13800138000", "〔姓名〕女士电话〔手机号〕")
    [('name', 0, 1), ('mobile', 5, 16)]
    """
    placeholders = PLACEHOLDER_PATTERN.findall(masked)
    if not placeholders:
        return [] if masked == source else None
    literal = PLACEHOLDER_PATTERN.split(masked)
    pattern = "".join(re.escape(part) + ("(.+?)" if i < len(placeholders) else "") for i, part in enumerate(literal))
    m = re.fullmatch(pattern, source, re.DOTALL)
    if m is None:
        return None
    return [(_KIND_OF.get(p, p), m.start(i + 1), m.end(i + 1)) for i, p in enumerate(placeholders)]


def score_cases(cases: Sequence[tuple[str, str, str]], masker: Masker | None = None) -> MaskScores:
    """Recall and precision per kind on hand-written cases: (``pii`` | ``none``, input, expected output)."""
    masker = masker or current_masker()
    scores = MaskScores()
    for _, text, expected in cases:
        source = masker.normalize([text])[0] or ""
        reference = normalize([text])[0] or ""
        got = masker.mask_one(source, None) or ""
        scores.cases += 1
        scores.cases_exact += got == expected
        want = masked_spans(reference, expected)
        if want is None:
            raise ValueError(f"expected output does not align with its input: {expected!r}")
        have = masked_spans(reference, got) if source == reference else _realign(source, got, reference)
        if have is None:  # the masker rewrote other text: place what it reports having masked
            have = _spans_by_value(reference, masker.find(source))
        for kind, start, end in want:
            scores._plant(kind, reference[start:end], (kind, start, end) not in have, got)
        for kind, start, end in have:
            scores._mask(kind, reference[start:end], (kind, start, end) in want, text)
    return scores


def _realign(source: str, got: str, reference: str) -> list[tuple[str, int, int]] | None:
    """Spans masked in a differently normalised ``source``, placed in ``reference`` by their text."""
    spans = masked_spans(source, got)
    if spans is None:
        return None
    return _spans_by_value(reference, [(kind, normalize([source[s:e]])[0] or "") for kind, s, e in spans])


def _spans_by_value(text: str, found: Iterable[tuple[str, str]]) -> list[tuple[str, int, int]]:
    spans, at = [], 0
    for kind, value in found:
        start = text.find(value)
        if start < 0:
            start = at
        spans.append((kind, start, start + len(value)))
        at = start
    return spans


# --- planted values ----------------------------------------------------------------------------
def _digits_view(text: str) -> str:
    return _NUMBER_SEPARATORS.sub("", text.translate(_NUMERALS))


def _survives(kind: str, value: str, masked: str) -> bool:
    """Does a trace of the planted ``value`` remain in the cleaned ``masked`` text?

    Both are read normalised: a column a masker leaves as it is still holds the value, however
    it was written (full-width, with an invisible character inside).
    """
    plain = normalize([value])[0] or ""
    masked = normalize([masked])[0] or ""
    if kind in _NUMBER_KINDS:
        digits = re.sub(r"[^0-9Xx]", "", _digits_view(plain))
        digits = digits[-11:] if kind == "mobile" else digits
        return bool(digits) and digits.upper() in re.sub(r"[^0-9Xx]", " ", _digits_view(masked)).upper()
    if kind == "name":
        if plain in masked:
            return True
        given = plain[1:]  # 王女士 masked as 〔姓名〕女士: the surname is what must go
        return given in _HONORIFIC_TAILS and plain[0] + given in masked
    squashed = _SEPARATORS.sub("", plain).upper()
    return bool(squashed) and squashed in _SEPARATORS.sub("", masked).upper()


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


def _overlaps(covered: str, value: str) -> bool:
    """Does a mask's text share enough with a planted value to have been aimed at it (1501室 / 2单元1501)?"""
    if not covered or not value:
        return False
    if covered in value or value in covered:
        return True
    match = SequenceMatcher(None, covered, value, autojunk=False).find_longest_match()
    return match.size >= min(3, len(covered), len(value))


def score_planted(
    texts: Sequence[str],
    planted: Sequence[Iterable[tuple[str, str]]],
    masker: Masker | None = None,
    column: str = "text",
) -> MaskScores:
    """Recall and precision on cells whose personal data is known (``planted[i]`` for ``texts[i]``).

    ``column`` picks the masker's cleaner for that column (free text unless the masker names one).
    """
    masker = masker or current_masker()
    scores = MaskScores()
    cleaned = masker.clean(column, list(texts))
    for text, values, masked in zip(texts, planted, cleaned, strict=True):
        values = list(values)
        masked = masked or ""
        for kind, value in values:
            scores._plant(kind, value, _survives(kind, value, masked), masked)
        if column in masker.columns and masker.columns[column] is None:
            continue  # this masker leaves the column as it is: it masks nothing there
        if column == "grid_worker":
            if text and masked != text:  # the whole value is replaced by a pseudonym
                scores._mask("name", text, bool(values), text)
            continue
        squashed = [_SEPARATORS.sub("", normalize([v])[0] or "") for _, v in values]
        for kind, covered in masker.find(masker.normalize([text])[0] or ""):
            core = _SEPARATORS.sub("", covered)
            scores._mask(kind, covered, any(_overlaps(core, v) for v in squashed), text)
    return scores


#: where each column of ``truth/pii.parquet`` sits in the synthetic exports (``building`` is 小区 + 楼栋,
#: as the visit mapping combines them)
EXPORT_COLUMNS = {
    "hotline": {
        "title": ("诉求标题",),
        "text": ("诉求内容",),
        "reply": ("答复意见",),
        "address": ("事件地址",),
        "dept": ("承办单位",),
        "contact": ("来电号码",),
    },
    "snapshot": {"text": ("问题描述",), "address": ("位置描述",), "contact": ("上报人",)},
    "visit": {"text": ("走访情况",), "grid_worker": ("网格员",), "building": ("小区", "楼栋"), "room": ("房号",)},
}
_ID_HEADERS = {"hotline": "工单编号", "snapshot": "上报编号", "visit": "走访编号"}


def district_cells(district) -> dict[str, tuple[list[str], list[list[tuple[str, str]]]]]:
    """Every cell of a synthetic district's valid records, by column, with the values planted in it.

    ``district`` is a :class:`demandlab.synth.SynthResult`; a record's first row in its export is
    taken (a later row with its id is a planted duplicate, rejected on load).
    """
    import polars as pl

    from ..ingest import read_table
    from ..synth import SOURCE_VALUES

    truth = pl.read_parquet(district.root / "truth" / "pii.parquet")
    planted: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for row in truth.iter_rows(named=True):
        planted.setdefault((row["source"], row["record_id"], row["column"]), []).append((row["type"], row["value"]))
    valid = set(pl.read_parquet(district.root / "truth" / "records.parquet")["record_id"])
    out: dict[str, tuple[list[str], list[list[tuple[str, str]]]]] = {}
    for source, columns in EXPORT_COLUMNS.items():
        headers = {h for hs in columns.values() for h in hs} | {_ID_HEADERS[source]}
        frame = read_table(district.exports[source], known_headers=headers).frame
        seen: set[str] = set()
        rows = [
            r
            for r in frame.iter_rows(named=True)
            if r[_ID_HEADERS[source]] in valid
            and not (r[_ID_HEADERS[source]] in seen or seen.add(r[_ID_HEADERS[source]]))
        ]
        for column, parts in columns.items():
            cells, values = out.setdefault(column, ([], []))
            for r in rows:
                cells.append("".join(r.get(h) or "" for h in parts))
                values.append(planted.get((SOURCE_VALUES[source], r[_ID_HEADERS[source]], column), []))
    return out
