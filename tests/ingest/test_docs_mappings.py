"""docs/mappings.md matches the code: every reject reason, warning and limit is documented."""

import datetime as dt
from pathlib import Path

from demandlab.ingest import REASONS, WARNINGS, derived_id, limits

DOC = (Path(__file__).resolve().parents[2] / "docs" / "mappings.md").read_text("utf-8")


def test_every_reject_reason_and_warning_is_documented():
    assert [r for r in REASONS if f"`{r}`" not in DOC] == []
    assert [w for w in WARNINGS if f"`{w}`" not in DOC] == []


def test_every_limit_is_documented_with_a_docstring_in_the_code():
    names = [n for n in vars(limits) if n.isupper()]
    assert len(names) == 8
    assert [n for n in names if f"`{n}`" not in DOC] == []
    source = Path(limits.__file__).read_text("utf-8")
    for name in names:  # an attribute docstring right below each constant
        after = source.split(f"\n{name} = ", 1)[1].split("\n", 2)
        assert after[1].startswith('"""'), name


def test_the_documented_derived_id_example_is_what_the_code_gives():
    assert "`2939~db453a`" in DOC
    assert derived_id("2939", dt.datetime(2019, 6, 2, 10, 0), "学校门口拥堵") == "2939~db453a"
