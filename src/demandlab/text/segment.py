"""Chinese word segmentation with a governance lexicon and hotline stopwords.

:class:`Segmenter` owns its tokenizer (never the process-global jieba) and
builds it lazily, so the object itself is small plain data that pickles to a
worker process. Two back ends give the same cut for the same dictionary:
``rjieba`` (jieba-rs, the default, about ten times faster) and ``jieba``.
With ``hmm=False`` they agree on every document (see bench/segment_speed.py).

Tokens are filtered for topic work: stopwords (general Chinese plus hotline
boilerplate such as 市民 / 来电 / 反映), punctuation, numbers, mask
placeholders, place names from the grid registry, and one-character tokens
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

import polars as pl

from .pii import PLACEHOLDER_PATTERN

_CONTENT = re.compile(r"[\u4e00-\u9fa5A-Za-z]")
_NUMBER = re.compile(r"^[0-9.%\-:/一二三四五六七八九十百千万两零几]+[个号栋楼层点天年月日次户人元米路]?$")
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
    """General Chinese stopwords plus hotline boilerplate (``lexicon/stopwords.txt``)."""
    text = resources.files(__package__).joinpath("lexicon/stopwords.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


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
    _tokenizer: object = field(default=None, init=False, repr=False, compare=False)
    _stop: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

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
        return state

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
        if not token or token in self._stop or not _CONTENT.search(token) or _NUMBER.match(token):
            return False
        return len(token) > 1 or token in KEEP_SINGLE

    def tokens(self, text: str | None) -> list[str]:
        """Content tokens of one text (see the module docstring for what is left out)."""
        if not text:
            return []
        text = PLACEHOLDER_PATTERN.sub(" ", text)
        return [t.lower() for t in self.cut(text) if self.keep(t)]

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


def _segment_chunk(segmenter: Segmenter, texts: list[str | None]) -> list[str]:
    return [" ".join(segmenter.tokens(t)) for t in texts]


def _segment_in_workers(segmenter: Segmenter, texts: list[str | None], workers: int) -> list[str]:
    """Split ``texts`` over ``workers`` subprocesses (see ``_segment_worker``) and join the results in order."""
    import concurrent.futures
    import pickle
    import subprocess
    import sys

    size = -(-len(texts) // workers)
    parts = [texts[i : i + size] for i in range(0, len(texts), size)]

    def run(part: list[str | None]) -> list[str]:
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

    with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
        return [t for chunk in pool.map(run, parts) for t in chunk]


def tokens_frame(records: pl.DataFrame, segmenter: Segmenter, workers: int = 1) -> pl.DataFrame:
    """The tokens stage: title and text of each record → space-joined content tokens.

    Parameters
    ----------
    records : rows with ``source``, ``record_id``, ``content_hash``, ``title``, ``text``.
    segmenter : the cut to use; it is pickled to the workers (its tokenizer is rebuilt there).
    workers : processes to spread the work over; 1 keeps it in this process.

    Tokens travel as one space-joined string per record: cheap to send between
    processes and what the theme vectorizer reads.
    """
    texts = (
        records.select(pl.concat_str([pl.col("title").fill_null(""), pl.col("text").fill_null("")], separator=" "))
        .to_series()
        .to_list()
    )
    if workers > 1 and len(texts) > 20_000:
        joined = _segment_in_workers(segmenter, texts, workers)
    else:
        joined = _segment_chunk(segmenter, texts)
    series = pl.Series("tokens", joined, dtype=pl.String)
    return records.select("source", "record_id", "content_hash").with_columns(
        series,
        (series.str.count_matches(" ") + (series.str.len_chars() > 0).cast(pl.UInt32)).cast(pl.Int32).alias("n_tokens"),
        pl.lit(segmenter.name).alias("segmenter"),
    )
