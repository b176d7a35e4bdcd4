"""Chinese word segmentation with a governance lexicon and hotline stopwords.

:class:`Segmenter` owns its tokenizer (never the process-global jieba) and
builds it lazily, so the object itself is small plain data that pickles to a
worker process. Two back ends give the same cut for the same dictionary:
``rjieba`` (jieba-rs, the default, about ten times faster) and ``jieba``.
With ``hmm=False`` they agree on every document (see bench/segment_speed.py).

Tokens are filtered for topic work: stopwords (general Chinese plus hotline
boilerplate such as 市民 / 来电 / 反映), punctuation, numbers, codes (a7, GD2025…),
mask placeholders, place names from the grid registry, and one-character tokens
outside a short list of meaningful ones (水, 电, 狗 …).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

from .pii import PLACEHOLDER_PATTERN

_CONTENT = re.compile(r"[\u4e00-\u9fa5A-Za-z]")
# jieba and jieba-rs cut a text block by block, the blocks separated by characters outside
# [CJK, A-Z, a-z, 0-9, +#&._%-]; splitting there first and cutting each block gives the same
# tokens, and lets a block seen before come from the cache
_BLOCK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1fA-Za-z0-9+#&._%\\-"
_BLOCK_SPLIT = re.compile(f"[^{_BLOCK_CHARS}]+")
BLOCK_PATTERN = f"[{_BLOCK_CHARS}]+"
CACHE_SIZE = 500_000
_NUMBER = re.compile(r"^[0-9.%\-:/一二三四五六七八九十百千万两零几]+[个号栋楼层点天年月日次户人元米路]?$")
_CODE = re.compile(r"^[A-Za-z]{1,3}\d[A-Za-z\d\-]*$")  # a7, L10, GD2025030500012: ids and codes, not words
KEEP_SINGLE = frozenset("水电气狗猫树灯车房桥井窗门墙油烟臭脏吵堵漏")


@dataclass(frozen=True)
class LexiconEntry:
    word: str
    freq: int
    tag: str


def _read_lexicon(text: str) -> list[LexiconEntry]:
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        word = parts[0]
        freq = int(parts[1]) if len(parts) > 1 else 2000
        tag = parts[2] if len(parts) > 2 else "n"
        entries.append(LexiconEntry(word, freq, tag))
    return entries


@cache
def governance_lexicon() -> tuple[LexiconEntry, ...]:
    """The shipped governance lexicon (``lexicon/governance.txt``): word, frequency, part of speech."""
    return tuple(_read_lexicon(resources.files(__package__).joinpath("lexicon/governance.txt").read_text("utf-8")))


@cache
def default_stopwords() -> frozenset[str]:
    """General Chinese function words (the ISO stopword collection, ``stopwordsiso``) plus hotline and
    message-board boilerplate (``lexicon/stopwords.txt``)."""
    import stopwordsiso

    text = resources.files(__package__).joinpath("lexicon/stopwords.txt").read_text("utf-8")
    ours = {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}
    return frozenset(ours | set(stopwordsiso.stopwords("zh")))


def read_user_words(path: str) -> list[LexiconEntry]:
    """A user dictionary in jieba's format: ``word [freq] [tag]`` per line."""
    return _read_lexicon(Path(path).read_text(encoding="utf-8"))


@dataclass
class Segmenter:
    """Cut Chinese text into content tokens.

    Parameters
    ----------
    backend : ``"rjieba"`` (fast, default) or ``"jieba"``.
    hmm : use the HMM for words missing from the dictionary.
    user_words : extra dictionary entries, added after the governance lexicon.
    stopwords : extra stopwords, added to the shipped list.
    places : place names (compounds, roads) kept whole by the cut and left out of the tokens.

    Examples
    --------
    >>> seg = Segmenter()
    >>> seg.tokens("市民来电反映楼道里有人飞线充电，存在火灾隐患")
    ['楼道', '飞线充电', '火灾隐患']
    """

    backend: str = "rjieba"
    hmm: bool = False
    user_words: Sequence[LexiconEntry] = ()
    stopwords: Iterable[str] = ()
    places: Iterable[str] = ()
    cache: bool = True
    _tokenizer: object = field(default=None, init=False, repr=False, compare=False)
    _stop: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _blocks: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _verdicts: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # token → kept form or ""

    def __post_init__(self) -> None:
        if self.backend not in ("rjieba", "jieba"):
            raise ValueError(f"backend must be 'rjieba' or 'jieba', got {self.backend!r}")
        self.user_words = tuple(self.user_words)
        self.places = tuple(sorted(set(self.places)))
        self.stopwords = tuple(sorted(set(self.stopwords)))
        self._stop = default_stopwords() | set(self.stopwords) | set(self.places)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_tokenizer"] = None  # rebuilt in the receiving process
        state["_blocks"] = {}
        state["_verdicts"] = {}
        return state

    @property
    def stop_words(self) -> frozenset[str]:
        """Every token left out as a stopword (shipped, user and place names)."""
        return self._stop

    @property
    def name(self) -> str:
        """Identifies the cut (stored with the tokens): back end, HMM, and a hash of dictionary and stopwords.

        When any of them changes, the pipeline segments every record again.
        """
        digest = hashlib.blake2b(digest_size=4)
        for entry in self._entries():
            digest.update(f"{entry.word} {entry.freq} {entry.tag}\n".encode())
        digest.update("\n".join(sorted(self._stop)).encode())
        return f"{self.backend}:hmm={int(self.hmm)}:{digest.hexdigest()}"

    def _entries(self) -> list[LexiconEntry]:
        places = [LexiconEntry(p, 5000, "ns") for p in self.places if len(p) >= 2]
        return [*governance_lexicon(), *places, *self.user_words]

    def _build(self) -> object:
        if self.backend == "rjieba":
            import rjieba

            tokenizer = rjieba.Jieba()
            for e in self._entries():
                tokenizer.add_word(e.word, e.freq, e.tag)
        else:
            import jieba

            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for e in self._entries():
                tokenizer.add_word(e.word, e.freq, e.tag)
        return tokenizer

    @property
    def tokenizer(self) -> object:
        if self._tokenizer is None:
            self._tokenizer = self._build()
        return self._tokenizer

    def cut(self, text: str) -> list[str]:
        """Every piece of the cut, punctuation and spaces included."""
        if self.backend == "rjieba":
            return self.tokenizer.cut(text, self.hmm)
        return self.tokenizer.lcut(text, HMM=self.hmm)

    def keep(self, token: str) -> bool:
        token = token.strip()
        if not token or token in self._stop or not _CONTENT.search(token) or _NUMBER.match(token) or _CODE.match(token):
            return False
        return len(token) > 1 or token in KEEP_SINGLE

    def _block_tokens(self, block: str) -> tuple[str, ...]:
        verdicts = self._verdicts
        out = []
        for token in self.cut(block):
            kept = verdicts.get(token)
            if kept is None:
                kept = verdicts[token] = token.lower() if self.keep(token) else ""
            if kept:
                out.append(kept)
        return tuple(out)

    def tokens(self, text: str | None) -> list[str]:
        """Content tokens of one text (see the module docstring for what is left out).

        Blocks of text already seen come from a cache (hotline text repeats its phrases:
        市民来电反映, 希望相关部门尽快处理 …); the tokens are the same as cutting the whole text.
        """
        if not text:
            return []
        text = PLACEHOLDER_PATTERN.sub(" ", text)
        if not self.cache:
            return [t.lower() for t in self.cut(text) if self.keep(t)]
        blocks = self._blocks
        out: list[str] = []
        for block in _BLOCK_SPLIT.split(text):
            if not block:
                continue
            found = blocks.get(block)
            if found is None:
                found = self._block_tokens(block)
                if len(blocks) >= CACHE_SIZE:
                    blocks.clear()
                blocks[block] = found
            out.extend(found)
        return out

    def segment_blocks(self, text: str | None) -> list[str]:
        """The blocks jieba cuts ``text`` into before cutting words (runs of CJK, letters, digits)."""
        if not text:
            return []
        return [b for b in _BLOCK_SPLIT.split(PLACEHOLDER_PATTERN.sub(" ", text)) if b]

    def segment(self, texts: Iterable[str | None]) -> list[list[str]]:
        return [self.tokens(t) for t in texts]


@cache
def _default() -> Segmenter:
    return Segmenter()


def segment(texts: list[str | None]) -> list[list[str]]:
    """Content tokens of each text with the default :class:`Segmenter`.

    Examples
    --------
    >>> segment(["老旧小区加装电梯，低楼层住户不同意"])
    [['老旧小区', '加装电梯', '低楼层', '同意']]
    """
    return _default().segment(texts)


def _cut_blocks(segmenter: Segmenter, blocks: list[str]) -> list[str]:
    """The space-joined content tokens of each block (see :meth:`Segmenter._block_tokens`)."""
    return [" ".join(segmenter._block_tokens(b)) for b in blocks]


def _cut_in_workers(segmenter: Segmenter, blocks: list[str], workers: int) -> list[str]:
    """Cut ``blocks`` in this process and ``workers - 1`` subprocesses (see ``_segment_worker``).

    A plain subprocess, unlike a multiprocessing pool, never re-imports the caller's ``__main__``.
    """
    import concurrent.futures
    import pickle
    import subprocess
    import sys

    size = -(-len(blocks) // workers)
    parts = [blocks[i : i + size] for i in range(0, len(blocks), size)]

    def run(part: list[str]) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "demandlab.text._segment_worker"],
            input=pickle.dumps((segmenter, part), protocol=pickle.HIGHEST_PROTOCOL),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"segmentation worker failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}"
            )
        return pickle.loads(done.stdout)

    with concurrent.futures.ThreadPoolExecutor(max(1, len(parts) - 1)) as pool:
        futures = [pool.submit(run, part) for part in parts[:-1]]
        own = _cut_blocks(segmenter, parts[-1])
        return [t for future in futures for t in future.result()] + own


def tokens_frame(records: pl.DataFrame, segmenter: Segmenter, workers: int = 1) -> pl.DataFrame:
    """The tokens stage: title and text of each record → space-joined content tokens.

    Parameters
    ----------
    records : rows with ``source``, ``record_id``, ``content_hash``, ``title``, ``text``.
    segmenter : the cut to use; it is pickled to the workers (its tokenizer is rebuilt there).
    workers : processes to cut with; 1 keeps it in this process.

    How it is fast without changing a token: jieba cuts a text block by block (runs of CJK,
    Latin letters and digits); hotline text repeats its blocks (市民来电反映, 希望相关部门尽快处理,
    the same compound names). polars splits every text into blocks, each distinct block is cut
    once (over the workers when there are many), and the tokens are put back in order. The
    result equals ``segmenter.tokens(text)`` for every record (tests/text/test_segment.py).
    Tokens travel as one space-joined string per record: cheap to send between processes and
    what the theme vectorizer reads.
    """
    import polars as pl

    text = pl.concat_str([pl.col("title").fill_null(""), pl.col("text").fill_null("")], separator=" ")
    # the streaming engine splits the regex work over the cores (row order is kept: a select)
    split = (
        records.lazy()
        .select(text.str.replace_all(PLACEHOLDER_PATTERN.pattern, " ").str.extract_all(BLOCK_PATTERN).alias("block"))
        .collect(engine="streaming")
    )
    blocks = split.with_row_index("__doc").explode("block").drop_nulls("block")
    distinct = blocks.select("block").unique().with_row_index("__block")
    names = distinct["block"].to_list()
    if workers > 1 and len(names) > 300_000:  # below that a second process costs more than it saves
        cut = _cut_in_workers(segmenter, names, workers)
    else:
        cut = _cut_blocks(segmenter, names)
    distinct = distinct.with_columns(pl.Series("tokens", cut, dtype=pl.String)).filter(pl.col("tokens") != "")
    per_doc = (
        blocks.join(distinct, on="block", how="inner", maintain_order="left")
        .group_by("__doc", maintain_order=True)
        .agg(pl.col("tokens").str.join(" "))
    )
    tokens = (
        pl.DataFrame({"__doc": pl.int_range(records.height, dtype=pl.UInt32, eager=True)})
        .join(per_doc, on="__doc", how="left", maintain_order="left")
        .select(pl.col("tokens").fill_null(""))
        .to_series()
    )
    return records.select("source", "record_id", "content_hash").with_columns(
        tokens.alias("tokens"),
        (tokens.str.count_matches(" ") + (tokens.str.len_chars() > 0).cast(pl.UInt32)).cast(pl.Int32).alias("n_tokens"),
        pl.lit(segmenter.name).alias("segmenter"),
    )


@dataclass(frozen=True)
class SegmentContext:
    """What the segment stage needs: the dictionary additions and stopwords, as plain data.

    The :class:`Segmenter` (and its tokenizer) is built from it once per process, never pickled.
    """

    user_words: tuple[LexiconEntry, ...] = ()
    stopwords: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    workers: int = 1

    def segmenter(self) -> Segmenter:
        return _segmenter(self.user_words, self.stopwords, self.places)


@cache
def _segmenter(user_words: tuple, stopwords: tuple, places: tuple) -> Segmenter:
    return Segmenter(user_words=user_words, stopwords=stopwords, places=places)


def segment_stage(records: pl.DataFrame, ctx: SegmentContext) -> pl.DataFrame:
    """The segment stage (partitioned by rows): :func:`tokens_frame` with the context's segmenter.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"source": ["12345"], "record_id": ["1"], "content_hash": ["h"],
    ...                       "title": [None], "text": ["楼道里飞线充电"]})
    >>> segment_stage(frame, SegmentContext())["tokens"].to_list()
    ['楼道 飞线充电']
    """
    return tokens_frame(records, ctx.segmenter(), workers=ctx.workers)
