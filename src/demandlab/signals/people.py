"""People behind records, counted one way for every signal: hot issues, 多人同诉, 一人多诉 and surges.

Exports often carry no caller number (public and scraped boards, some 12345 systems), and one
resident who writes the same message every day must not look like a crowd. Each record gets a
``person_key`` from the best evidence it has:

==================  ==============================================================================
``contact``         its ``contact_key`` (the salted caller number or the board's user id): exact
``repeat_group``    no contact, but it is a near-duplicate of other records (``mart_repeats``): the
                    group is taken as one person — the same words at the same place within weeks
``record``          no contact and no near-duplicate: the record is its own person
==================  ==============================================================================

The count is exact where every record has a contact and an upper bound otherwise (two different
messages without a contact may still come from one person). A group of records reports which
evidence it used (:func:`people_basis`): ``contact`` when every record had a contact,
``repeat_group`` when none had, ``mixed`` between; the Chinese names are :data:`BASIS_ZH`.

A group is **mostly one person** (一人多诉, not a crowd) when one person wrote more than
:data:`ONE_PERSON_SHARE` of its records (and at least two of them). Volume is weighed per person
with diminishing returns (:func:`person_counts`): a resident's 84 messages weigh as
1 + ln 84 ≈ 5.4 records, 84 residents' one message each as 84.
"""

from __future__ import annotations

import polars as pl

#: Share of a group's records above which one person makes it "mostly one person".
ONE_PERSON_SHARE = 0.5

#: How a people count was made, as the report and the command line say it.
BASIS_ZH: dict[str, str] = {
    "contact": "按来电号码或留言用户计",
    "repeat_group": "无来电号码，按近似重复分组估计",
    "mixed": "部分按来电号码，部分按近似重复分组估计",
    "record": "无来电号码，每件记录计一人",
}


def with_people(records: pl.DataFrame, repeats: pl.DataFrame | None = None) -> pl.DataFrame:
    """``records`` with ``person_key`` and ``person_basis`` (see the module docstring).

    ``records``: source, record_id, contact_key, and ``repeat_group_id`` when it was read with them.
    ``repeats``: source, record_id, repeat_group_id (``mart_repeats``) otherwise, or None when there
    are none. A frame that already has ``person_key`` is returned as it is.

    >>> frame = pl.DataFrame({"source": ["b"] * 4, "record_id": ["1", "2", "3", "4"],
    ...                       "contact_key": ["k1", None, None, None]})
    >>> groups = pl.DataFrame({"source": ["b", "b"], "record_id": ["2", "3"], "repeat_group_id": ["b:2", "b:2"]})
    >>> with_people(frame, groups).select("person_key", "person_basis").rows()
    [('k1', 'contact'), ('G:b:2', 'repeat_group'), ('G:b:2', 'repeat_group'), ('R:b:4', 'record')]
    """
    if "person_key" in records.columns:
        return records
    if "repeat_group_id" in records.columns:  # read with the records (marts.read.signal_records(groups=True))
        records = records.with_columns(pl.col("repeat_group_id").cast(pl.String))
    elif repeats is not None and repeats.height:
        groups = repeats.select("source", "record_id", "repeat_group_id").unique(["source", "record_id"])
        records = records.join(groups, on=["source", "record_id"], how="left", maintain_order="left")
    else:
        records = records.with_columns(repeat_group_id=pl.lit(None, pl.String))
    own = pl.concat_str(pl.lit("R:"), "source", pl.lit(":"), "record_id")
    return records.with_columns(
        person_key=pl.coalesce("contact_key", pl.lit("G:") + pl.col("repeat_group_id"), own),
        person_basis=pl.when(pl.col("contact_key").is_not_null())
        .then(pl.lit("contact"))
        .when(pl.col("repeat_group_id").is_not_null())
        .then(pl.lit("repeat_group"))
        .otherwise(pl.lit("record")),
    ).drop("repeat_group_id")


def people_basis(basis: pl.Expr) -> pl.Expr:
    """The evidence of a group's people count, from its records' ``person_basis`` (an aggregation).

    ``contact`` when every record had a contact, ``repeat_group`` when none had (records without a
    near-duplicate count as their own group), ``mixed`` otherwise.
    """
    with_contact = (basis == "contact").sum()
    return (
        pl.when(with_contact == basis.len())
        .then(pl.lit("contact"))
        .when(with_contact == 0)
        .then(pl.lit("repeat_group"))
        .otherwise(pl.lit("mixed"))
    )


def person_counts(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group of ``keys``: ``n_people``, ``top_person_n`` (the records of the person with most),
    ``n_weighted`` (records weighed per person: Σ (1 + ln kᵢ), kᵢ the records of person i) and
    ``people_basis``. ``frame`` has ``person_key`` and ``person_basis`` (:func:`with_people`).

    >>> frame = pl.DataFrame({"g": [1] * 33, "person_key": ["a"] * 30 + ["b", "c", "d"],
    ...                       "person_basis": ["repeat_group"] * 30 + ["record"] * 3})
    >>> row = person_counts(frame, ["g"]).row(0, named=True)
    >>> row["n_people"], row["top_person_n"], round(row["n_weighted"], 1), row["people_basis"]
    (4, 30, 7.4, 'repeat_group')
    """
    per_person = frame.group_by(*keys, "person_key").agg(k=pl.len(), basis=pl.col("person_basis").first())
    return per_person.group_by(keys).agg(
        n_people=pl.len(),
        top_person_n=pl.col("k").max(),
        n_weighted=(1 + pl.col("k").cast(pl.Float64).log()).sum(),
        people_basis=people_basis(pl.col("basis")),
    )


def mostly_one_person(n: pl.Expr, top_person_n: pl.Expr) -> pl.Expr:
    """Whether one person wrote more than :data:`ONE_PERSON_SHARE` of a group's ``n`` records (≥ 2 of them)."""
    return (top_person_n >= 2) & (top_person_n > ONE_PERSON_SHARE * n)


__all__ = [
    "BASIS_ZH",
    "ONE_PERSON_SHARE",
    "mostly_one_person",
    "people_basis",
    "person_counts",
    "with_people",
]
