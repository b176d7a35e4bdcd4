import datetime as dt

import polars as pl
import pytest

from demandlab.ingest.parse import parse_count, parse_datetime


def _parse(values: list[str | None]) -> list:
    return pl.select(parse_datetime(pl.lit(pl.Series(values, dtype=pl.String)))).to_series().to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/2/28 11:25:05", dt.datetime(2019, 2, 28, 11, 25, 5)),
        ("2019-02-28 11:25", dt.datetime(2019, 2, 28, 11, 25)),
        ("2019-02-28T11:25:05", dt.datetime(2019, 2, 28, 11, 25, 5)),
        ("2019年2月28日", dt.datetime(2019, 2, 28)),
        ("2019年2月28日 11:25", dt.datetime(2019, 2, 28, 11, 25)),
        ("2019年2月28日 11时25分", dt.datetime(2019, 2, 28, 11, 25)),
        ("2019.02.28", dt.datetime(2019, 2, 28)),
        ("20190228", dt.datetime(2019, 2, 28)),
        ("２０１９－０２－２８ １１:２５", dt.datetime(2019, 2, 28, 11, 25)),
        ("43524.5", dt.datetime(2019, 2, 28, 12, 0)),  # Excel serial
        ("2025-11-21 01:09:45.342", dt.datetime(2025, 11, 21, 1, 9, 45, 342000)),
        ("  2019/2/28  ", dt.datetime(2019, 2, 28)),
        # a time with its zone is the same instant in Beijing wall time
        ("2019-02-28T03:25:05Z", dt.datetime(2019, 2, 28, 11, 25, 5)),
        ("2019-02-28T11:25:05+08:00", dt.datetime(2019, 2, 28, 11, 25, 5)),
        ("2019-02-28 20:25:05.5 +0900", dt.datetime(2019, 2, 28, 19, 25, 5, 500000)),
        ("2019-02-27T22:25-05:00", dt.datetime(2019, 2, 28, 11, 25)),
    ],
)
def test_parses_the_written_forms_of_exports(text, expected):
    assert _parse([text]) == [expected]


@pytest.mark.parametrize(
    "text", ["待核实", "2025-02-30 10:00:00", "2025/13/01 08:00", "20250-1-1", "昨天下午", "", None, "123"]
)
def test_unreadable_times_are_null_not_guessed(text):
    assert _parse([text]) == [None]


def test_counts_accept_separators_units_and_full_width_digits():
    values = pl.Series(["1,234", "１２", "12次", "3.0", "abc", "", None, "-2"])
    assert pl.select(parse_count(pl.lit(values))).to_series().to_list() == [1234, 12, 12, 3, None, None, None, -2]
