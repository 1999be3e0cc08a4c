"""The plain-address fast path of `normalize_email` gives email-validator's answer exactly."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.identifiers import _simple_email

LOCAL = st.text(alphabet="aZ09._+-!#éÀÿ×µ\u0301ß", min_size=0, max_size=70)
LABEL = st.text(alphabet="aZ09-x_", min_size=0, max_size=66)
TLD = st.sampled_from(
    ["com", "COM", "io", "x", "c0m", "test", "local", "arpa", "onion", "invalid", "example"]
)


def slow(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=3000, deadline=None)
@given(LOCAL, st.lists(LABEL, min_size=0, max_size=3), TLD)
def test_fast_path_agrees_with_email_validator(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    fast = _simple_email(address)
    if fast is not None:
        assert fast == slow(address)


def test_common_addresses_take_the_fast_path() -> None:
    for address in (
        "Ann.Lee+promo@Example.COM",
        "a_b-c@mail.example-shop.co.uk",
        "Chloé.Hernández7@Gmail.com",
        "ZOË@acme.io",
    ):
        assert _simple_email(address) == slow(address) == address.lower()


def test_decomposed_and_symbol_characters_are_left_to_email_validator() -> None:
    # "e" + a combining accent is normalized by email-validator; x and mu are not letters of
    # the fast path's range.
    for address in ("Chloe\u0301@example.com", "a\u00d7b@example.com", "\u00b5@example.com"):
        assert _simple_email(address) is None
    assert _simple_email("é" * 33 + "@example.com") is None  # 66 octets before the @


def test_special_and_odd_addresses_are_left_to_email_validator() -> None:
    for address in (
        "ann@example.test",
        "ann@localhost",
        "ann@xn--bcher-kva.example",
        "ann@ab--cd.com",
        "ann@123.45",
        "a" * 65 + "@example.com",
        "ann..lee@example.com",
        "ann@-example.com",
    ):
        assert _simple_email(address) is None
