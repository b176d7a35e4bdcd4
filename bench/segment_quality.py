"""Segmentation quality: SIGHAN 2005 word F1 (PKU, MSR) of demandlab's cut against jieba's default,
and the share of governance-lexicon terms kept whole, in one run.

Anchors: jieba 0.42.1 with its default dictionary, HMM on (its default) and off. demandlab: the
shipped Segmenter (rjieba, default dictionary + governance lexicon, HMM off), raw cut before
stopword filtering. Claim (issue 4): not below jieba's default (about 0.818 PKU, 0.813 MSR).

Run: .venv/bin/python -m bench.segment_quality   (SIGHAN needs ../shared/data/sighan2005)
"""

from __future__ import annotations

from pathlib import Path

import jieba
from tests.text.test_segment_quality import GOVERNANCE, word_f1

from bench._common import write_result
from demandlab.text import Segmenter
from demandlab.text.segment import governance_lexicon

SIGHAN = Path(__file__).resolve().parents[2] / "shared" / "data" / "sighan2005"


def main() -> dict:
    result: dict = {}
    if SIGHAN.exists():
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        ours = Segmenter()
        for corpus in ("pku", "msr"):
            raw = [line.strip() for line in (SIGHAN / f"{corpus}_test.utf8").read_text("utf-8").splitlines()]
            gold = [line.split() for line in (SIGHAN / f"{corpus}_test_gold.utf8").read_text("utf-8").splitlines()]
            result[corpus] = {
                "jieba_default_hmm_on": round(word_f1([tokenizer.lcut(s) for s in raw], gold), 4),
                "jieba_hmm_off": round(word_f1([tokenizer.lcut(s, HMM=False) for s in raw], gold), 4),
                "demandlab": round(word_f1([ours.cut(s) for s in raw], gold), 4),
                "sentences": len(raw),
            }
            result[corpus]["not_below_jieba_default"] = (
                result[corpus]["demandlab"] >= result[corpus]["jieba_default_hmm_on"]
            )
    else:
        result["sighan2005"] = "skipped: ../shared/data/sighan2005 absent"
    terms = [(text, term) for text, wanted in GOVERNANCE for term in wanted]
    whole = sum(term in Segmenter().cut(text) for text, term in terms)
    plain = jieba.Tokenizer()
    plain.initialize()
    whole_plain = sum(term in plain.lcut(text) for text, term in terms)
    result["governance_terms"] = {
        "lexicon_size": len(governance_lexicon()),
        "test_terms": len(terms),
        "kept_whole_demandlab": whole,
        "kept_whole_plain_jieba": whole_plain,
    }
    return write_result("segment_quality", result)


if __name__ == "__main__":
    main()
