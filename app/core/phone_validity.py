"""Phone number validity, decided exactly as `phonenumbers.is_valid_number` decides it.

`is_valid_number` finds the number's region among those sharing its country code (25 for
+1, 4 for +44), trying up to eleven number-type patterns per region one `re` call at a time,
then tries them again for the region it found: 15-35 us per number, the largest single cost
of a bulk import. Here the patterns of a region are compiled into one regular expression
("the general pattern matches, and so does at least one type pattern", for numbers of one
length) and the library's own rule for picking the region is applied to them. The patterns
come from the installed library's metadata, so they follow its updates; property tests compare
the answers with `is_valid_number`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

# The descs `phonenumbers._number_type_helper` tries; any match means a known number type.
_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
# (leading digits or None, validity pattern or None when nothing of this length is valid).
_Region = tuple[re.Pattern[str] | None, re.Pattern[str] | None]


def _applies(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The desc's pattern when a number of `length` digits can match it (the library skips a
    desc whose possible lengths exclude the length, and never matches an empty pattern)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return str(desc.national_number_pattern)


def _validity(metadata: PhoneMetadata, length: int) -> re.Pattern[str] | None:
    general = _applies(metadata.general_desc, length)
    types = [p for name in _TYPE_DESCS if (p := _applies(getattr(metadata, name), length))]
    if general is None or not types:
        return None
    alternatives = "|".join(f"(?:{p})" for p in types)
    return re.compile(f"(?=(?:{general})\\Z)(?:{alternatives})")


@lru_cache(maxsize=1024)
def _regions(country_code: int, length: int) -> tuple[_Region, ...] | None:
    """The regions of a country code in the library's order; None when this module does not
    model the country code (non-geographic entities), so the library decides."""
    codes = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not codes:
        return ()
    out: list[_Region] = []
    for region in codes:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            return None
        pattern = _validity(metadata, length) if metadata.country_code == country_code else None
        leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        out.append((leading, pattern))
    return tuple(out)


def _decide(regions: tuple[_Region, ...], national: str) -> bool:
    if len(regions) == 1:
        # A country code with one region: that region, whatever its leading digits.
        pattern = regions[0][1]
        return pattern is not None and pattern.fullmatch(national) is not None
    for leading, pattern in regions:
        # The number's region is the first whose leading digits prefix it, or, for a region
        # without leading digits, the first where the number has a known type.
        if leading is not None:
            if leading.match(national):
                return pattern is not None and pattern.fullmatch(national) is not None
        elif pattern is not None and pattern.fullmatch(national) is not None:
            return True
    return False


def is_valid_national(country_code: int, national: str) -> bool:
    """Validity of +`country_code` `national` (the national significant number, digits)."""
    regions = _regions(country_code, len(national))
    if regions is None:
        number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
        return bool(phonenumbers.is_valid_number(number))
    return _decide(regions, national)


def is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """`phonenumbers.is_valid_number`, faster."""
    country_code = number.country_code
    if country_code is None:
        return False
    national = phonenumbers.national_significant_number(number)
    regions = _regions(country_code, len(national))
    if regions is None:
        return bool(phonenumbers.is_valid_number(number))
    return _decide(regions, national)
