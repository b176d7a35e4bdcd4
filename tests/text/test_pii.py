"""Masking: hard cases that must be masked and look-alikes that must stay."""

from pathlib import Path

import pytest

from demandlab.text import contact_keys, find_pii, mask, normalize
from demandlab.text.pii import id_checksum_ok, luhn_ok


def _mask(text: str) -> str:
    return mask(normalize([text]))[0]


CASES = [
    line.split("\t")
    for line in (Path(__file__).parent / "pii_cases.tsv").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
]


def test_there_are_at_least_200_hand_written_cases_of_both_kinds():
    kinds = [kind for kind, _, _ in CASES]
    assert len(CASES) >= 200 and kinds.count("pii") >= 100 and kinds.count("none") >= 100
    assert all(kind == "none" or text != masked for kind, text, masked in CASES)


@pytest.mark.parametrize(("kind", "text", "masked"), CASES, ids=[f"{k}:{t[:20]}" for k, t, _ in CASES])
def test_hand_written_case(kind, text, masked):
    assert _mask(text) == masked
    if kind == "none":
        assert _mask(text) == normalize([text])[0]


def test_find_pii_reports_type_and_text():
    assert find_pii("王女士电话13800138000") == [("mobile", "13800138000"), ("name", "王")]


def test_checksums():
    assert id_checksum_ok("11010519491231002X")
    assert not id_checksum_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_contact_key_is_salted_and_ignores_how_the_number_was_written():
    a, b, c = contact_keys(["138-0013-8000", "+86 13800138000", "13900139000"], b"salt")
    assert a == b != c
    assert contact_keys(["13800138000"], b"other")[0] != a
    assert contact_keys([None, "U12345"], b"salt")[0] is None
