"""`phone_validity` decides numbers exactly as `phonenumbers.is_valid_number` does."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.phone_validity import is_valid_national, is_valid_number


def library(country_code: int, national: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    return bool(phonenumbers.is_valid_number(number))


def test_every_north_american_area_code() -> None:
    # Each area code with exchanges of every leading digit (the patterns branch on the first
    # 3-7 digits), and line numbers some patterns single out.
    rng = random.Random(1)
    checked = 0
    for area in range(200, 1000):
        for first in "0123456789":
            exchange = f"{first}{rng.randint(0, 99):02d}"
            for line in (f"{rng.randint(0, 9999):04d}", "0000", "1212"):
                national = f"{area}{exchange}{line}"
                assert is_valid_national(1, national) == library(1, national), national
                checked += 1
    assert checked == 24_000


@settings(max_examples=4000, deadline=None)
@given(st.integers(2_000_000_000, 9_999_999_999))
def test_random_north_american_numbers(value: int) -> None:
    national = str(value)
    assert is_valid_national(1, national) == library(1, national)


# Country codes with several regions (+1, +7, +44, +47, +61, +262, +590...), single-region
# ones, a non-geographic one (+800) and unassigned ones.
COUNTRY_CODES = st.sampled_from([1, 7, 33, 39, 44, 47, 49, 61, 262, 290, 590, 599, 800, 999, 0])


@settings(max_examples=6000, deadline=None)
@given(COUNTRY_CODES, st.integers(1, 10**13))
def test_random_numbers_of_many_country_codes(country_code: int, value: int) -> None:
    national = str(value)
    assert is_valid_national(country_code, national) == library(country_code, national)


@pytest.mark.parametrize("region", sorted(phonenumbers.SUPPORTED_REGIONS))
def test_example_numbers_of_every_region_and_their_neighbours(region: str) -> None:
    rng = random.Random(region)
    for kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    ):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        national = phonenumbers.national_significant_number(example)
        variants = [national, national[:-1], national + "5"]
        variants += [
            national[:i] + str(rng.randint(0, 9)) + national[i + 1 :] for i in range(len(national))
        ]
        for variant in variants:
            if not variant or variant.startswith("0"):
                continue
            number = phonenumbers.PhoneNumber(
                country_code=example.country_code, national_number=int(variant)
            )
            assert is_valid_number(number) == phonenumbers.is_valid_number(number), variant


def test_italian_leading_zero_is_part_of_the_national_number() -> None:
    number = phonenumbers.parse("+39 06 6982 1234", None)
    assert number.italian_leading_zero
    assert is_valid_number(number) == phonenumbers.is_valid_number(number) is True


def test_caribbean_regions_are_found_by_their_leading_digits() -> None:
    for region in ("JM", "PR", "DO", "CA", "BS"):
        example = phonenumbers.example_number(region)
        assert example is not None
        assert is_valid_national(1, str(example.national_number)), region
    for national in ("8761111111", "7871111111", "2021111111"):
        assert is_valid_national(1, national) == library(1, national), national
