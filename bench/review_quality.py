"""双向评议: how often the project review finds a planted effect, and how often it claims one where none was
planted, over many synthetic districts (``synth/plan.py`` plants two projects cutting their demand by 70 % and
one without effect in each, 12 weeks before the end).

The review (``demandlab.lists.effects.did``) runs on the weekly counts each plan draws (no pipeline: the
counts are what the records would be), the comparison being the same problem in the communities without such
a project. Anchor: the nominal error of its 95 % interval (5 % false claims). Claims (issue 18): effects found
in ≥ 90 % of cases, false claims ≤ 10 %.

Run: .venv/bin/python -m bench.review_quality
"""

from __future__ import annotations

import time

from tests.lists.test_review import _plan_reviews

from bench._common import write_result

SEEDS = 200


def main() -> dict:
    start = time.perf_counter()
    found, none = _plan_reviews(range(SEEDS))
    seconds = time.perf_counter() - start
    power = sum(v == "需求下降" for v in found) / len(found)
    false = sum(v != "未见明显变化" for v in none) / len(none)
    return write_result(
        "review_quality",
        {
            "districts": SEEDS,
            "records_per_district": 6000,
            "effect_planted": -0.7,
            "projects_with_effect": len(found),
            "projects_without_effect": len(none),
            "effect_found_share": round(power, 4),
            "false_claim_share": round(false, 4),
            "anchor_nominal_false_claims": 0.05,
            "verdicts_without_effect": {v: none.count(v) for v in sorted(set(none))},
            "seconds": round(seconds, 1),
            "claims": {
                "effects_found_at_least_90_percent": power >= 0.9,
                "false_claims_at_most_10_percent": false <= 0.1,
            },
        },
    )


if __name__ == "__main__":
    main()
