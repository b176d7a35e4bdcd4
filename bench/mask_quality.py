"""Masking quality: recall and precision per kind of personal data, against the masking on main as anchor.

Four labelled sets, each scored for the current masker and for the anchor in the same run:

* (a) ``family_cases``: the hand-written cases of tests/text/pii_cases_families.tsv that hold personal
  data (the forms of issue 11: names after roles, labels that fail closed, phones in Chinese
  numerals or with dots, plates in lower case or with O/I, passports, permits, obfuscated e-mail,
  cards failing Luhn, rooms without 室, house numbers, invisible characters);
* (b) ``existing_cases``: the same from tests/text/pii_cases.tsv;
* (c) ``planted``: every value the synthetic district (50,000 records, seed 21) plants, per column
  (title, text, reply, address, dept, building, grid_worker), each column cleaned as ``clean_records``
  cleans it. The anchor masked title, text and address only, and left the other columns as they were;
* (d) ``look_alikes``: the cases of both files that must stay (12345, dates, money, 3栋2单元 …): how
  many stay untouched, and the masks wrongly put on them per kind.

A hand-written value counts as found when the masker covers exactly it with the right type; a
planted value when no trace of it survives (see ``demandlab.text.evaluate``).

Anchor: ``src/demandlab/text/pii.py`` and ``normalize.py`` of main at ``ANCHOR_COMMIT`` (the masking
before issue 11), loaded from git as modules. Also recorded: throughput of normalise + mask over the
synthetic texts (one core) for both, and the load average.
Claims (issue 4): overall recall ≥ 99.5 %, precision ≥ 98 %.

Run: .venv/bin/python -m bench.mask_quality
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from bench._common import write_result
from demandlab.synth import generate
from demandlab.text.evaluate import (
    Masker,
    MaskScores,
    current_masker,
    district_cells,
    load_cases,
    score_cases,
    score_planted,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "text"
#: main before the masking of issue 11
ANCHOR_COMMIT = "47978277cc"
COLUMNS = ("title", "text", "reply", "address", "dept", "building", "grid_worker")


def _module_at(commit: str, path: str, name: str, folder: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout
    file = folder / f"{name}.py"
    file.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def anchor_masker(folder: Path) -> Masker:
    """The masking of main at ANCHOR_COMMIT: free text only; reply, dept, building, grid_worker left as they were."""
    pii = _module_at(ANCHOR_COMMIT, "src/demandlab/text/pii.py", "anchor_pii", folder)
    norm = _module_at(ANCHOR_COMMIT, "src/demandlab/text/normalize.py", "anchor_normalize", folder)
    untouched = dict.fromkeys(("reply", "dept", "building", "grid_worker"))
    return Masker(f"main@{ANCHOR_COMMIT}", norm.normalize, pii.mask_one, untouched)


def _split(cases: list[tuple[str, str, str]]) -> tuple[list, list]:
    return [c for c in cases if c[0] == "pii"], [c for c in cases if c[0] == "none"]


def _look_alikes(cases: list[tuple[str, str, str]], masker: Masker) -> dict:
    scores = score_cases(cases, masker)
    return {
        "cases": scores.cases,
        "kept_intact": scores.cases_exact,
        "kept_share": round(scores.cases_exact / scores.cases, 5),
        "wrong_masks": scores.masks,
        "wrong_masks_by_kind": dict(scores.masks_by_type),
        "wrong_examples": scores.wrong[:10],
    }


def _summary(scores: MaskScores) -> dict:
    out = scores.as_dict()
    return {k: out[k] for k in ("planted", "found", "recall", "masks", "right_masks", "precision", "per_kind")} | {
        "missed_examples": out["missed_examples"][:5],
        "wrong_examples": out["wrong_examples"][:5],
    }


def main() -> dict:
    load_before = os.getloadavg()
    family_pii, family_none = _split(load_cases(CASES / "pii_cases_families.tsv"))
    existing_pii, existing_none = _split(load_cases(CASES / "pii_cases.tsv"))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        maskers = [current_masker(), anchor_masker(Path(tmp))]
        district = generate(Path(tmp) / "synth", n_records=50_000, seed=21)
        cells = district_cells(district)
        texts = [t for t in cells["text"][0] if t]
        for masker in maskers:
            started = time.perf_counter()
            masker.clean("text", texts)
            elapsed = time.perf_counter() - started
            planted = {column: score_planted(*cells[column], masker, column) for column in COLUMNS}
            everything = MaskScores()
            for scores in planted.values():
                everything = everything.add(scores)
            family, existing = score_cases(family_pii, masker), score_cases(existing_pii, masker)
            overall = everything.add(family).add(existing)
            results[masker.name] = {
                "family_cases": _summary(family) | {"cases": len(family_pii)},
                "existing_cases": _summary(existing) | {"cases": len(existing_pii)},
                "planted": {"all_columns": _summary(everything)} | {c: _summary(s) for c, s in planted.items()},
                "look_alikes": {
                    "family_cases": _look_alikes(family_none, masker),
                    "existing_cases": _look_alikes(existing_none, masker),
                },
                "overall": {"recall": round(overall.recall, 5), "precision": round(overall.precision, 5)},
                "texts_per_second": round(len(texts) / elapsed),
            }
        current = results["current"]["overall"]
        return write_result(
            "mask_quality",
            {
                "anchor": f"main@{ANCHOR_COMMIT}",
                "load_average": {
                    "before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in os.getloadavg()],
                },
                "synthetic_records": district.truth["counts"]["records"],
                "synthetic_texts": len(texts),
                "hand_written_cases": {
                    "family": len(family_pii) + len(family_none),
                    "existing": len(existing_pii) + len(existing_none),
                },
                "results": results,
                "claims": {
                    "recall_at_least_99_5": current["recall"] >= 0.995,
                    "precision_at_least_98": current["precision"] >= 0.98,
                },
            },
        )


if __name__ == "__main__":
    main()
