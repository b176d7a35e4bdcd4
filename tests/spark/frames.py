"""Frames compared between engines, in one order whatever order each engine gave its rows in."""

from __future__ import annotations

import polars as pl


def in_order(frame: pl.DataFrame, floats: bool = True) -> pl.DataFrame:
    """Rows sorted by every column but lists (and floats with ``floats=False``: a float computed by two engines may
    differ in its last bit, so it cannot order rows compared with a tolerance)."""
    keys = [c for c, t in frame.schema.items() if not isinstance(t, pl.List) and (floats or t != pl.Float64)]
    return frame.sort(keys, nulls_last=True)
