"""The North American fast path of `normalize_phone` gives `phonenumbers.parse`'s answer."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.identifiers import InvalidIdentifier, _nanp_national_number, normalize_phone


def slow(raw: str, region: str) -> str | None:
    """normalize_phone without the fast path: parse, validate, format."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 40:
        return None
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def fast(raw: str, region: str) -> str | None:
    try:
        return normalize_phone.__wrapped__(raw, region)
    except InvalidIdentifier:
        return None


PUNCT = st.sampled_from(["", "", " ", "-", ".", "(", ")", ") ", " (", "--"])
DIGIT_RUN = st.text(alphabet="0123456789", min_size=1, max_size=4)
REGIONS = st.sampled_from(["US", "CA", "GB", "FR", "JM"])


@st.composite
def phone_like(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "", "+", "+1", "1", "+1 ", "1-", "(", "+ 1", "11"]))
    parts = draw(st.lists(st.tuples(PUNCT, DIGIT_RUN), min_size=1, max_size=6))
    return prefix + "".join(p + d for p, d in parts) + draw(PUNCT)


@settings(max_examples=4000, deadline=None)
@given(phone_like(), REGIONS)
def test_fast_path_agrees_with_phonenumbers(raw: str, region: str) -> None:
    assert fast(raw, region) == slow(raw, region)


@settings(max_examples=2000, deadline=None)
@given(
    st.sampled_from(
        ["({a}) {b}-{c}", "+1 {a}-{b}-{c}", "{a}.{b}.{c}", "{a}{b}{c}", "1-{a}-{b}-{c}"]
    ),
    st.integers(200, 999),
    st.integers(0, 999),
    st.integers(0, 9999),
    REGIONS,
)
def test_plain_north_american_numbers(
    style: str, area: int, exchange: int, line: int, region: str
) -> None:
    raw = style.format(a=area, b=f"{exchange:03d}", c=f"{line:04d}")
    assert fast(raw, region) == slow(raw, region)


@pytest.mark.parametrize(
    "raw",
    [
        "+44 20 7946 0958",
        "+1 202 555 0143 ext. 12",
        "202/555/0143",
        "２０２５５５０１４３",
        "+12025550143+",
    ],
)
def test_other_forms_take_the_slow_path(raw: str) -> None:
    assert _nanp_national_number(raw, "US") is None
    assert fast(raw, "US") == slow(raw, "US")
