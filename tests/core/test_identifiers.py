from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.identifiers import (
    IdentifierProblem,
    InvalidIdentifier,
    keyed_hash,
    looks_like_phone,
    name_key,
    normalize_email,
    normalize_phone,
)


class TestNormalizeEmail:
    def test_trims_and_lowercases_local_part_and_domain(self) -> None:
        assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"

    @pytest.mark.parametrize("raw", ["", "no-at-sign", "a@", "@b.com", "a b@c.com", "x" * 300])
    def test_rejects_invalid(self, raw: str) -> None:
        with pytest.raises(InvalidIdentifier) as info:
            normalize_email(raw)
        assert info.value.problem is IdentifierProblem.INVALID_EMAIL
        # The message never echoes the value.
        assert raw.strip() == "" or raw not in info.value.message


class TestNormalizePhone:
    @pytest.mark.parametrize(
        "raw", ["(202) 555-0143", "+1 202-555-0143", "202.555.0143", "+12025550143"]
    )
    def test_national_and_international_forms_agree(self, raw: str) -> None:
        assert normalize_phone(raw, "US") == "+12025550143"

    def test_region_decides_national_format(self) -> None:
        assert normalize_phone("020 7946 0958", "GB") == "+442079460958"

    @pytest.mark.parametrize("raw", ["", "555-0143", "abc", "+999 123", "1" * 50])
    def test_rejects_invalid(self, raw: str) -> None:
        with pytest.raises(InvalidIdentifier) as info:
            normalize_phone(raw, "US")
        assert info.value.problem is IdentifierProblem.INVALID_PHONE


def test_name_key_folds_case_accents_and_spaces() -> None:
    assert name_key("  ÉLODIE   Dupré ") == "elodie dupre"


def test_phone_detection_needs_digits_and_phone_punctuation() -> None:
    assert looks_like_phone("(202) 555-0143")
    assert not looks_like_phone("Ann")
    assert not looks_like_phone("ref-12345678")


def test_keyed_hash_depends_on_key_and_purpose() -> None:
    a = keyed_hash("k1", "blocklist", "+12025550143")
    assert a == keyed_hash("k1", "blocklist", "+12025550143")
    assert a != keyed_hash("k2", "blocklist", "+12025550143")
    assert a != keyed_hash("k1", "other", "+12025550143")
    assert "+1202" not in a


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_name_key_of_ascii_matches_the_unicode_rule(raw: str) -> None:
    decomposed = unicodedata.normalize("NFKD", raw.strip())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert name_key(raw) == " ".join(stripped.casefold().split())
