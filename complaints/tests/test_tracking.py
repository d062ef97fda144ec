import re

import pytest

from complaints.tracking import (
    ALPHABET,
    BITS,
    tracking_code_generate,
    tracking_code_hash,
    tracking_code_normalize,
)


def test_codes_carry_at_least_80_bits():
    assert BITS >= 80


def test_codes_are_grouped_for_reading_aloud_without_look_alikes():
    code = tracking_code_generate()
    assert re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){3}", code)
    assert not set(code) & set("01OIL")
    assert set(code.replace("-", "")) <= set(ALPHABET)


def test_each_code_is_drawn_afresh():
    codes = {tracking_code_generate() for _ in range(100)}
    assert len(codes) == 100


def test_lowercase_spaces_and_dashes_are_accepted():
    code = tracking_code_generate()
    messy = " " + code.lower().replace("-", " ") + " "
    assert tracking_code_normalize(messy) == code.replace("-", "")
    assert tracking_code_hash(messy) == tracking_code_hash(code)


@pytest.mark.parametrize("bad", ["", "ABC", "O" * 20, "0000-0000-0000-0000-0000", "A" * 21])
def test_malformed_codes_have_no_hash(bad):
    assert tracking_code_hash(bad) is None


def test_the_hash_is_keyed(settings):
    code = tracking_code_generate()
    first = tracking_code_hash(code)
    settings.TRACKING_CODE_KEY = "another key"
    assert tracking_code_hash(code) != first
    assert len(first) == 64 and code.replace("-", "") not in first
