"""Boilerplate and place names: what a theme model keeps out of its features and labels.

Real exports carry text that says nothing about the matter: a call-taker's template (请职能局按规定
在30分钟内响应处置), a form's headings (工单内容), a board's sign-off (望领导予以解决). Repeated in a
large share of a source's records, such phrases pull records of unrelated matters together and fill
theme labels with 职能 · 规定 · 处置. Names of places do the same in the other direction: without a
grid registry every district name (某某区) gathers its own theme. Themes are to be about matters,
not about the form they were written in or where.

Boilerplate is found per source, from the data, never from a list of one city's phrases
(:func:`find_boilerplate`). A *phrase* is a run of two or more tokens (tokens joined by single
spaces). It is boilerplate when, on a sample of the source's records,

1. **it recurs**: it is in at least ``min_share`` (5 %) of the records, and
2. **it is spread over unrelated matters**: ``theme_spread`` ≥ ``min_spread`` (0.9). The records are
   cut into rough groups of similar matter (TF-IDF → LSA → k-means, with every recurring phrase
   removed first, so that a template cannot hold its own records together; a record left with
   nothing is read as it was), and groups whose centres are alike (average cosine ≥ 0.45: one
   matter cut in pieces) are joined again. With ``w_g`` the share of the records in group ``g``,
   ``r_g`` the phrase's share within it and ``p`` its share overall,

   ``theme_spread = Σ_g w_g · min(1, 2 r_g / p)``,

   the share of the records that sit in groups where the phrase is at least half as common as
   overall (groups where it is rarer count in proportion). A template pasted into records whatever
   their matter scores about 1; a phrase that is frequent because it is the matter of one big theme
   (飞线 充电 in a corpus about electric bikes) scores about the share of the records that theme
   holds, because the groups of the other matters lack it. Records that form fewer than two
   matters (a source about one thing, sixty copies of one complaint) have nothing to be spread
   over: nothing is found in them.

Phrases are maximal: a recurring phrase inside a longer boilerplate phrase that holds at least 80 %
of its records collapses into it (a template's pieces are not listed beside it); one that also
recurs elsewhere stays, and stripping removes the longer phrase first.

Place names are kept out in two ways: phrases of the names the registry and the place finder know
(cut into tokens by the pipeline and handed over as phrases), and tokens that are names of
administrative areas by their form (:func:`is_admin_area`: A市, A1区, 西湖区, 余杭区, 良渚街道 — a
name and an administrative unit, not a list of places).

:func:`strip_phrases` removes phrases from token strings in one vectorised pass (Aho–Corasick over
the whole column), longest phrase first. :class:`Exclusions` holds what one model version keeps
out, so that assigning new records strips exactly what the fit stripped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

MIN_SHARE = 0.05
MIN_SPREAD = 0.9
SAMPLE = 10_000
MIN_RECORDS = 50  # fewer records than this give no rough groups worth the name: nothing is found
MAX_TOKENS = 40  # the longest phrase looked for (a template is rarely longer)
COLLAPSE = 0.8
GROUP_SIMILARITY = 0.45  # rough groups whose centres are this alike are one matter
STATUSES = ("auto", "kept", "dropped")
COLUMNS = {
    "source": pl.String,
    "phrase": pl.String,
    "records": pl.Int64,
    "record_share": pl.Float64,
    "theme_spread": pl.Float64,
}

# --- names of administrative areas, by their form --------------------------------------------------
_UNITS = ("特别行政区", "自治区", "自治州", "自治县", "街道", "社区", "省", "市", "区", "县", "镇", "乡")
_ADMIN = re.compile(
    r"^(?:[A-Za-z]{1,3}\d{0,3}|[\u4e00-\u9fff]{2,8})(?:" + "|".join(_UNITS) + r")$"
)  # a name of two or more characters, or a code (A, A1: pseudonymised names), then the unit
# common nouns that end in a unit's character without naming an area (老旧小区, 文明城市, 城乡, 古镇)
_GENERIC_ENDINGS = frozenset(
    "小区 园区 景区 校区 厂区 市区 地区 郊区 片区 街区 辖区 矿区 林区 灾区 盲区 禁区 学区 营区 库区 院区 分区 专区 "
    "城市 都市 超市 菜市 夜市 集市 门市 股市 楼市 车市 上市 黑市 闹市 早市 "
    "乡镇 城镇 村镇 集镇 小镇 古镇 城乡 家乡 老乡 下乡 返乡 回乡 故乡 同乡 他乡 异乡 节省 反省".split()
)
_ADMIN_CANDIDATE = r"[^ ]+(?:" + "|".join(_UNITS) + r")(?: |$)"


def is_admin_area(token: str) -> bool:
    """Whether ``token`` is the name of an administrative area by its form: a name or a code, then a unit.

    Examples
    --------
    >>> [t for t in ["A市", "A1区", "西湖区", "良渚街道", "浙江省", "小区", "老旧小区", "文明城市", "全市", "节省"]
    ...  if is_admin_area(t)]
    ['A市', 'A1区', '西湖区', '良渚街道', '浙江省']
    """
    return bool(_ADMIN.match(token)) and token[-2:] not in _GENERIC_ENDINGS


def admin_area_tokens(tokens: pl.Series) -> list[str]:
    """The distinct tokens of ``tokens`` (token strings) that name administrative areas, sorted.

    >>> admin_area_tokens(pl.Series(["余杭区 噪音 扰民", "老旧小区 加装 电梯", "A1区 路灯"]))
    ['A1区', '余杭区']
    """
    # a match starts where a token starts (leftmost) and ends at its end, so it is one whole token
    found = tokens.str.extract_all(_ADMIN_CANDIDATE).explode().drop_nulls().str.strip_chars(" ").unique()
    return sorted(t for t in found.to_list() if is_admin_area(t))


# --- stripping --------------------------------------------------------------------------------------
def _padded(tokens: pl.Series) -> pl.Series:
    """Every token between its own two spaces (`` a  b  c ``), so that adjacent phrases both match."""
    return " " + tokens.str.replace_all(" ", "  ", literal=True) + " "


def strip_phrases(tokens: pl.Series, phrases: Iterable[str]) -> pl.Series:
    """``tokens`` (token strings) with every whole occurrence of ``phrases`` removed.

    A phrase matches whole tokens only; where two phrases start at one token the longer wins. Nulls
    stay null, and what is left is joined by single spaces again (empty when nothing is left). Only
    the rows that contain a phrase's text at all are rewritten (one Aho–Corasick scan finds them).

    Examples
    --------
    >>> strip_phrases(pl.Series(["职能 按规定 响应 处置 噪音 扰民", "响应 处置 漏水", "处置费", None]),
    ...               ["职能 按规定 响应 处置", "响应 处置"]).to_list()
    ['噪音 扰民', '漏水', '处置费', None]
    """
    patterns = sorted({" ".join(p.split()) for p in phrases if p and p.strip()}, key=lambda p: (-len(p), p))
    if not patterns or tokens.len() == 0:
        return tokens
    rows = tokens.str.contains_any(patterns).fill_null(False).arg_true()
    if rows.len() == 0:
        return tokens
    padded = _padded(tokens.gather(rows)).str.replace_many(
        [f" {p.replace(' ', '  ')} " for p in patterns], [""] * len(patterns), leftmost=True
    )  # removing `` p `` whole leaves every other token between its own two spaces
    stripped = padded.str.replace_all("  ", " ", literal=True).str.strip_chars(" ")
    return tokens.clone().scatter(rows, stripped)  # scatter writes in place: never into the caller's series


def count_records(tokens: pl.Series, phrases: Sequence[str]) -> list[int]:
    """How many of ``tokens`` (token strings) contain each phrase as whole tokens.

    >>> count_records(pl.Series(["响应 处置 漏水", "处置费", None]), ["响应 处置", "处置 费"])
    [1, 0]
    """
    return [int(tokens.str.contains(rf"(?:^| ){re.escape(p)}(?: |$)").sum()) for p in phrases]


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


# --- finding boilerplate ------------------------------------------------------------------------------
def find_boilerplate(
    tokens: Sequence[str | None] | pl.Series,
    *,
    min_share: float = MIN_SHARE,
    min_spread: float = MIN_SPREAD,
    sample: int = SAMPLE,
    seed: int = 0,
) -> pl.DataFrame:
    """The boilerplate phrases of one source's records (see the module docstring for the criterion).

    Parameters
    ----------
    tokens : one token string per record (tokens joined by single spaces).
    min_share : a phrase must be in at least this share of the records …
    min_spread : … and spread over the rough groups of matter at least this evenly (0–1).
    sample : records looked at (a seeded random sample when there are more); the counts returned
        are over every record.
    seed : seed of the sample and of the rough groups.

    Returns
    -------
    One row per phrase, most records first: ``phrase``, ``records`` (records that contain it),
    ``record_share`` (records over all records), ``theme_spread`` (on the sample).

    Examples
    --------
    >>> import random
    >>> rnd = random.Random(0)
    >>> matters = ["电梯 故障 困人 维修 停运 轿厢 按钮 年检", "夜间 施工 噪音 扰民 工地 机器 睡觉 凌晨",
    ...            "路灯 不亮 损坏 行人 摔倒 灯杆 线路 黑暗", "垃圾 清运 臭味 堆放 苍蝇 垃圾桶 满溢 异味"]
    >>> docs = [" ".join(rnd.sample(m.split(), 5)) + (" 职能局 按规定 响应 处置" if i % 3 == 0 else "")
    ...         for m in matters for i in range(100)]
    >>> find_boilerplate(docs).select("phrase", "records").rows()
    [('职能局 按规定 响应 处置', 136)]
    """
    series = tokens if isinstance(tokens, pl.Series) else pl.Series("tokens", list(tokens), dtype=pl.String)
    series = series.fill_null("")
    empty = pl.DataFrame(schema={k: v for k, v in COLUMNS.items() if k != "source"})
    if series.len() < MIN_RECORDS:
        return empty
    docs = series.sample(sample, seed=seed) if series.len() > sample else series
    min_count = max(2, math.ceil(min_share * docs.len()))
    phrases, counts, occurrences = _recurring_phrases(docs, min_count)
    if not phrases:
        return empty
    groups = _rough_groups(strip_phrases(docs, phrases), docs, seed)
    if groups is None:
        return empty
    spread = _spread(occurrences, groups, len(phrases))
    chosen = [i for i in range(len(phrases)) if spread[i] >= min_spread]
    chosen = _maximal([phrases[i] for i in chosen], [counts[i] for i in chosen], [spread[i] for i in chosen])
    if not chosen:
        return empty
    found = [p for p, _ in chosen]
    records = count_records(series, found)
    return pl.DataFrame(
        {
            "phrase": found,
            "records": records,
            "record_share": [round(n / series.len(), 4) for n in records],
            "theme_spread": [round(s, 4) for _, s in chosen],
        },
        schema=empty.schema,
    ).sort(["records", "phrase"], descending=[True, False])


def find_boilerplate_by_source(frame: pl.DataFrame, **settings) -> pl.DataFrame:
    """:func:`find_boilerplate` for each source of ``frame`` (``source``, ``tokens``): rows of every source.

    >>> frame = pl.DataFrame({"source": ["a"] * 10, "tokens": ["电梯 故障"] * 10})
    >>> find_boilerplate_by_source(frame).columns
    ['source', 'phrase', 'records', 'record_share', 'theme_spread']
    """
    parts = [
        find_boilerplate(part["tokens"], **settings).select(pl.lit(source, pl.String).alias("source"), pl.all())
        for (source,), part in frame.partition_by("source", as_dict=True, maintain_order=True).items()
    ]
    return pl.concat([pl.DataFrame(schema=COLUMNS), *parts]).sort(
        ["source", "records", "phrase"], descending=[False, True, False]
    )


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # any odd constant: n-gram hashes as polynomials mod 2⁶⁴


def _recurring_phrases(docs: pl.Series, min_count: int) -> tuple[list[str], list[int], pl.DataFrame]:
    """Every phrase of two or more tokens in at least ``min_count`` documents, grown a token at a time
    (a phrase recurs only if both its shorter halves do), all in array operations.

    Returns the phrases, their document counts and their occurrences (``doc``, ``phrase`` index), one
    row per document and phrase.
    """
    flat = (
        pl.DataFrame({"tokens": docs})
        .with_row_index("doc")
        .select("doc", pl.col("tokens").str.split(" ").alias("token"))
        .explode("token")
        .filter(pl.col("token") != "")
    )
    vocabulary = flat["token"].unique(maintain_order=True)
    ids = (
        flat["token"]
        .replace_strict(vocabulary, pl.int_range(vocabulary.len(), eager=True), return_dtype=pl.UInt64)
        .to_numpy()
    )
    doc = flat["doc"].to_numpy().astype(np.int64)
    frequent = _frequent(doc, ids, min_count)
    mask, hashes = frequent[1], ids.copy()
    phrases: list[str] = []
    counts: list[int] = []
    occurrences = []
    words = np.asarray(vocabulary.to_list(), dtype=object)
    for n in range(2, MAX_TOKENS + 1):
        span = len(ids) - n + 1
        if span <= 0:
            break
        valid = mask[:span] & mask[1 : span + 1] & (doc[:span] == doc[n - 1 :])
        with np.errstate(over="ignore"):
            hashes = hashes[:span] * _MULTIPLIER + ids[n - 1 :]
        at = np.flatnonzero(valid)
        found, mask = _frequent(doc[at], hashes[at], min_count), np.zeros(span, dtype=bool)
        if not found[0].size:
            break
        mask[at] = found[1]
        keys, first = np.unique(hashes[at[found[1]]], return_index=True)
        starts = at[found[1]][first]
        index = {int(k): len(phrases) + i for i, k in enumerate(keys)}
        phrases += [" ".join(words[ids[s : s + n]]) for s in starts]
        counts += [int(found[0][np.searchsorted(found[2], k)]) for k in keys]
        pairs = pl.DataFrame({"doc": doc[at[found[1]]], "hash": hashes[at[found[1]]]}).unique()
        occurrences.append(
            pairs.select("doc", pl.col("hash").replace_strict(index, return_dtype=pl.Int64).alias("phrase"))
        )
    if not occurrences:
        return [], [], pl.DataFrame(schema={"doc": pl.Int64, "phrase": pl.Int64})
    return phrases, counts, pl.concat(occurrences)


def _frequent(doc: np.ndarray, keys: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Document counts of the keys in at least ``min_count`` documents, whether each position holds one,
    and those keys sorted (counts in the same order)."""
    if not keys.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.uint64)
    counted = (
        pl.DataFrame({"doc": doc, "key": keys})
        .unique()
        .group_by("key")
        .len()
        .filter(pl.col("len") >= min_count)
        .sort("key")
    )
    keep = counted["key"].to_numpy()
    return counted["len"].to_numpy().astype(np.int64), np.isin(keys, keep), keep


def _rough_groups(stripped: pl.Series, original: pl.Series, seed: int) -> np.ndarray | None:
    """A rough partition of the documents by matter, or None when they hold fewer than two matters.

    TF-IDF of ``stripped`` (a document the stripping left empty is read as it was, so that records
    written wholly in recurring phrases still group by them) → LSA → k-means with about √n / 3
    groups (4–40); groups whose centres are alike (average-linkage cosine similarity ≥
    ``GROUP_SIMILARITY``) are one matter cut in pieces and count as one. Documents with no term
    form a group of their own.
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    texts = pl.select(pl.when(stripped == "").then(original).otherwise(stripped)).to_series().to_list()
    try:
        matrix = TfidfVectorizer(
            token_pattern=r"[^ ]+", lowercase=False, min_df=2, max_df=0.9, sublinear_tf=True
        ).fit_transform(texts)
    except ValueError:  # no term in two documents: no groups to tell apart
        return None
    filled = np.flatnonzero(matrix.getnnz(axis=1) > 0)
    k = int(np.clip(round(math.sqrt(len(texts)) / 3), 4, 40))
    if filled.size <= 2 * k or matrix.shape[1] < 3:
        return None
    dims = min(30, matrix.shape[1] - 1, filled.size - 1)
    vectors = normalize(TruncatedSVD(dims, n_iter=3, random_state=seed).fit_transform(matrix[filled]))
    labels = KMeans(k, n_init=1, max_iter=100, random_state=seed).fit_predict(vectors)
    # repeated records can leave a cluster empty: number the clusters that hold documents
    labels = np.unique(labels, return_inverse=True)[1]
    centres = normalize(np.vstack([vectors[labels == g].mean(axis=0) for g in range(labels.max() + 1)]))
    matters = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - GROUP_SIMILARITY
    ).fit_predict(centres)
    if len(set(matters.tolist())) < 2:
        return None
    groups = np.full(len(texts), matters.max() + 1, dtype=np.int64)
    groups[filled] = matters[labels]
    return groups


def _spread(occurrences: pl.DataFrame, groups: np.ndarray, n_phrases: int) -> np.ndarray:
    """``Σ_g w_g · min(1, 2 r_g / p)`` for every phrase (module docstring)."""
    n_groups = int(groups.max()) + 1
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    cells = occurrences["phrase"].to_numpy() * n_groups + groups[occurrences["doc"].to_numpy()]
    counts = np.bincount(cells, minlength=n_phrases * n_groups).reshape(n_phrases, n_groups).astype(float)
    overall = counts.sum(axis=1, keepdims=True) / len(groups)
    within = counts / np.maximum(sizes, 1)
    return (np.minimum(1.0, 2 * within / overall) * (sizes / len(groups))).sum(axis=1)


def _maximal(phrases: list[str], counts: list[int], spread: list[float]) -> list[tuple[str, float]]:
    """The phrases that do not collapse into a longer one holding ≥ ``COLLAPSE`` of their records."""
    order = sorted(range(len(phrases)), key=lambda i: (-len(phrases[i].split()), phrases[i]))
    kept: list[int] = []
    for i in order:
        if not any(_contains(phrases[j], phrases[i]) and counts[j] >= COLLAPSE * counts[i] for j in kept):
            kept.append(i)
    return [(phrases[i], spread[i]) for i in sorted(kept, key=lambda i: (-counts[i], phrases[i]))]


# --- analysts' decisions and what a model keeps out ---------------------------------------------------
def decide(
    found: pl.DataFrame, tokens: pl.DataFrame, keep: Sequence[str] = (), drop: Sequence[str] = ()
) -> pl.DataFrame:
    """The rows of ``boilerplate`` for a fit: what was found, with the analysts' decisions applied.

    ``found``: :func:`find_boilerplate_by_source` rows. ``tokens``: the window (``source``,
    ``tokens``) the dropped phrases are counted in. ``keep`` and ``drop``: phrases as token strings.
    A found phrase that contains a kept phrase, or lies inside one, is ``kept`` (not stripped); every
    dropped phrase is ``dropped`` (stripped) in every source, found or not; the rest are ``auto``.

    >>> found = pl.DataFrame({"source": ["a", "a"], "phrase": ["飞线 充电", "职能 按规定"], "records": [40, 30],
    ...                       "record_share": [0.4, 0.3], "theme_spread": [0.95, 1.0]})
    >>> window = pl.DataFrame({"source": ["a"] * 4, "tokens": ["感谢 来电 漏水", "噪音", "电梯", "路灯"]})
    >>> rows = decide(found, window, keep=["电动车 飞线 充电"], drop=["感谢 来电"])
    >>> rows.select("phrase", "records", "status").rows()
    [('飞线 充电', 40, 'kept'), ('职能 按规定', 30, 'auto'), ('感谢 来电', 1, 'dropped')]
    """
    keep = [k for k in keep if k]
    kept = pl.Series([any(_contains(p, k) or _contains(k, p) for k in keep) for p in found["phrase"]], dtype=pl.Boolean)
    drop = [d for d in dict.fromkeys(drop) if d]
    rows = found.with_columns(
        pl.when(pl.col("phrase").is_in(drop)).then(pl.lit("dropped")).when(kept).then(pl.lit("kept"))
        .otherwise(pl.lit("auto")).alias("status")
    )  # fmt: skip
    added = []
    for (source,), part in tokens.partition_by("source", as_dict=True, maintain_order=True).items():
        missing = [d for d in drop if d not in set(found.filter(pl.col("source") == source)["phrase"])]
        for phrase, n in zip(missing, count_records(part["tokens"], missing), strict=True):
            added.append((source, phrase, n, round(n / part.height, 4), None, "dropped"))
    schema = {**COLUMNS, "status": pl.String}
    return pl.concat([rows.select(list(schema)), pl.DataFrame(added, schema=schema, orient="row")]).sort(
        ["source", "records", "phrase"], descending=[False, True, False]
    )


def exclusions_of(
    decided: pl.DataFrame, places: Iterable[str] = (), keep: Sequence[str] = (), drop: Sequence[str] = ()
) -> Exclusions:
    """What a model fitted with the :func:`decide` rows ``decided`` keeps out (names of
    administrative areas included)."""
    auto = decided.filter(pl.col("status") == "auto").select("source", "phrase").sort("source", "phrase")
    return Exclusions(
        boilerplate=tuple(auto.iter_rows()),
        places=tuple(sorted(set(places))),
        admin_areas=True,
        keep=tuple(keep),
        drop=tuple(drop),
    )


def place_phrases(names: Iterable[str], cut: Callable[[str], list[str]]) -> tuple[str, ...]:
    """Place names as the phrases to strip: each name cut into tokens as the records are (``cut``).

    A name the cut leaves as one token or none is skipped: none, because it is a stopword already
    (the segmenter drops the registry's names); one, because a name that is a single dictionary
    word is most often a common noun the place finder read as a name (断头路, 安置房), and stripping
    it would take a matter's word out of every record.

    >>> cut = {"临栖云府": ["临栖", "云府"], "断头路": ["断头路"], "湖滨街道": []}.get
    >>> place_phrases(["临栖云府", "断头路", "湖滨街道"], cut)
    ('临栖 云府',)
    """
    phrases = {" ".join(tokens) for tokens in map(cut, names) if len(tokens) >= 2}
    return tuple(sorted(phrases))


@dataclass(frozen=True)
class Exclusions:
    """What one theme model keeps out of its features and labels.

    ``boilerplate``: (source, phrase) found by the fit and not kept by an analyst, stripped from
    that source's records; ``drop``: the analysts' own boilerplate, stripped from every source;
    ``places``: place phrases, stripped from every source; ``admin_areas``: whether tokens that name
    administrative areas (:func:`is_admin_area`) are stripped too; ``keep``: the phrases analysts
    kept when the model was fitted (with ``drop``, what a refit is needed for when it changes).

    Plain data that pickles: the assign stage strips with the very object the fit stripped with.
    The default keeps nothing out (a model fitted before exclusions existed).

    >>> ex = Exclusions(boilerplate=(("12345", "职能 按规定 响应 处置"),), places=("魅力 之城",), admin_areas=True)
    >>> tokens = ["西湖区 职能 按规定 响应 处置 噪音", "魅力 之城 漏水"]
    >>> frame = pl.DataFrame({"source": ["12345", "app"], "tokens": tokens})
    >>> ex.strip(frame).to_list()
    ['噪音', '漏水']
    """

    boilerplate: tuple[tuple[str, str], ...] = ()
    places: tuple[str, ...] = ()
    admin_areas: bool = False
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    _by_source: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_source: dict[str, list[str]] = {}
        for source, phrase in self.boilerplate:
            by_source.setdefault(source, []).append(phrase)
        object.__setattr__(self, "_by_source", by_source)

    def phrases(self, source: str | None = None) -> list[str]:
        """The phrases stripped from ``source``'s records (from any source's when None), sorted."""
        own = self._by_source.get(source, []) if source is not None else [p for _, p in self.boilerplate]
        return sorted({*own, *self.drop, *self.places})

    def strip(self, frame: pl.DataFrame) -> pl.Series:
        """The ``tokens`` of ``frame`` (``source``, ``tokens``) with everything kept out removed."""
        tokens = frame["tokens"]
        everywhere = [*self.drop, *self.places, *(admin_area_tokens(tokens) if self.admin_areas else [])]
        out = strip_phrases(tokens, everywhere).clone()
        for source, phrases in self._by_source.items():
            rows = (frame["source"] == source).arg_true()
            if rows.len():
                out = out.scatter(rows, strip_phrases(tokens.gather(rows), [*phrases, *everywhere]))
        return out

    def to_json(self) -> str:
        payload = {k: getattr(self, k) for k in ("boilerplate", "places", "admin_areas", "keep", "drop")}
        return json.dumps(payload, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Exclusions:
        raw = json.loads(text)
        return cls(
            boilerplate=tuple(tuple(pair) for pair in raw.get("boilerplate", ())),
            places=tuple(raw.get("places", ())),
            admin_areas=bool(raw.get("admin_areas", False)),
            keep=tuple(raw.get("keep", ())),
            drop=tuple(raw.get("drop", ())),
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json(), "utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Exclusions:
        """The exclusions saved at ``path``; none when there is no file (a model from before exclusions)."""
        path = Path(path)
        return cls.from_json(path.read_text("utf-8")) if path.exists() else cls()
