"""How heavy the weekly report is (issue 16: 5.0 MB a page, 4.8 MB of it plotly.js; --per-street wrote 29 MB
a week; the target is under 2 MB a page with the same charts).

Measures, on the default demo (50,000 synthetic records, seed 0, run through every stage): the bytes of the
district report, of the report of the street with the most records that week, and the total that
``demandlab weekly --per-street`` writes (the district report plus one per street with records that
week, written as weekly.py writes them: ``write_report`` with ``scope="street=…"``). Each page is split
into its inlined scripts (plotly.js and locale), its figures' JSON and the rest.

Anchor, in the same run: the same pages with plotly.py's full plotly.js inlined instead of the cartesian
bundle and locale the report ships (page bytes − the inlined bundle + the full bundle), as every page was
before. Run: .venv/bin/python -m bench.report_size
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl

import demandlab as dl
from bench._common import timer, write_result
from demandlab.config import demo_config
from demandlab.marts import read
from demandlab.report import write_report
from demandlab.synth import generate

FIGURES = re.compile(r'<script id="figures" type="application/json">(.*?)</script>', re.S)
SCRIPTS = re.compile(r"<script>(.*?)</script>", re.S)


def parts(path: Path) -> dict:
    """A page's bytes: in all, in its inlined scripts (the largest: plotly.js), in its figures' JSON."""
    html = path.read_text("utf-8")
    scripts = sorted((len(s.encode()) for s in SCRIPTS.findall(html)), reverse=True)
    figures = FIGURES.search(html)
    return {
        "bytes": path.stat().st_size,
        "largest_script_bytes": scripts[0] if scripts else 0,
        "figures_json_bytes": len(figures.group(1).encode()) if figures else 0,
    }


def measure(records: int = 50_000) -> dict:
    """Write the demo's reports on a fresh folder and weigh them; the figures ``main`` records."""
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = generate(root / "synth", n_records=records, seed=0)
        cfg = demo_config(root / "data", root / "reports")
        store = dl.connect(cfg.paths.db)
        pipe = dl.Pipeline(store, cfg)
        pipe.load_grids(result.registry)
        for path in result.export_paths:
            pipe.ingest(path)
        pipe.run()
        week = read.weeks(store)["iso_week"][-1]
        folder = root / "reports" / week
        with timer(timings, "district_report"):
            district = write_report(store, folder / "全区.html", week=week, config=cfg)
        streets = (
            read.street_counts(store, week).filter(pl.col("n") > 0).sort(["n", "street"], descending=[True, False])
        )
        pages = {"district": parts(district)}
        with timer(timings, "street_reports"):
            for i, street in enumerate(streets["street"].to_list()):
                page = write_report(store, folder / f"street-{i}.html", week=week, scope=f"street={street}", config=cfg)
                pages[street] = parts(page)
        store.close()
    busiest = streets["street"][0]
    return {
        "records": result.truth["counts"]["records"],
        "week": week,
        "district_report": pages["district"],
        "street_report": {"street": busiest, **pages[busiest]},
        "per_street": {
            "reports": len(pages),
            "total_bytes": sum(p["bytes"] for p in pages.values()),
            "street_bytes_min": min(p["bytes"] for name, p in pages.items() if name != "district"),
            "street_bytes_max": max(p["bytes"] for name, p in pages.items() if name != "district"),
        },
        "timings_s": timings,
    }


def _with_full_plotly(page: dict, full: int) -> int:
    """The page's bytes had it inlined plotly.py's full plotly.js (the anchor) instead of its bundle."""
    return page["bytes"] - page["largest_script_bytes"] + full


def main(records: int = 50_000) -> dict:
    from plotly.offline import get_plotlyjs

    measured = measure(records)
    full = len(get_plotlyjs().encode())
    n_pages = measured["per_street"]["reports"]
    measured["anchor_full_plotly"] = {
        "plotly_js_bytes": full,
        "district_bytes": _with_full_plotly(measured["district_report"], full),
        "street_bytes": _with_full_plotly(measured["street_report"], full),
        "per_street_total_bytes": measured["per_street"]["total_bytes"]
        + n_pages * (full - measured["district_report"]["largest_script_bytes"]),
    }
    district, street = measured["district_report"]["bytes"], measured["street_report"]["bytes"]
    return write_result(
        "report_size",
        {
            **measured,
            "claims": {"district_under_2MB": district < 2_000_000, "street_under_2MB": street < 2_000_000},
        },
    )


if __name__ == "__main__":
    main()
