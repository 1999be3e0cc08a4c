"""Which time zones a text's recipient may be in, for quiet hours.

In order of trust: the customer's address (a country with one zone, or a US state or Canadian
province from the table in `region_zones`), then the phone number (libphonenumber's prefix
data: a US number gives the zones of its area code), then the organization's own zone. Several
zones mean "we do not know which": quiet hours then wait for the window in all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from app.messaging.region_zones import REGIONS_BY_COUNTRY


class ZoneSource(StrEnum):
    ADDRESS = "ADDRESS"
    PHONE = "PHONE"
    ORGANIZATION = "ORGANIZATION"


@dataclass(frozen=True)
class RecipientZones:
    zones: tuple[ZoneInfo, ...]
    source: ZoneSource


def _zones(names: list[str] | tuple[str, ...]) -> tuple[ZoneInfo, ...]:
    found: list[ZoneInfo] = []
    for name in dict.fromkeys(names):  # ordered, without repeats
        try:
            found.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # libphonenumber's "Etc/Unknown" or a name this tzdata lacks
    return tuple(found)


@cache
def _country_zone_names() -> dict[str, tuple[str, ...]]:
    """ISO country code -> its zones, from the zone.tab shipped with the tzdata package."""
    by_country: dict[str, list[str]] = {}
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        country, _coordinates, name, *_comment = line.split("\t")
        by_country.setdefault(country, []).append(name)
    return {country: tuple(names) for country, names in by_country.items()}


def _region_key(value: str) -> str:
    return re.sub(r"[^A-Z]", "", value.upper())


@cache
def _region_index(country: str) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for code, (name, zones) in REGIONS_BY_COUNTRY.get(country, {}).items():
        index[code] = zones
        index[_region_key(name)] = zones
    return index


def zones_from_address(country: str | None, region: str | None) -> tuple[ZoneInfo, ...]:
    """The zones an address pins down, or () when it does not pin any down."""
    if not country:
        return ()
    country = country.strip().upper()
    if region and (names := _region_index(country).get(_region_key(region))):
        return _zones(names)
    country_zones = _country_zone_names().get(country, ())
    # A country-wide list would be all of, say, the United States: the phone number narrows
    # that down better, so only a single-zone country is an answer here.
    return _zones(country_zones) if len(country_zones) == 1 else ()


def zones_from_phone(phone: str | None) -> tuple[ZoneInfo, ...]:
    """The zones libphonenumber gives an E.164 number, or () when it gives none."""
    if not phone:
        return ()
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    return _zones(phone_timezone.time_zones_for_number(number))


def recipient_zones(
    *,
    country: str | None,
    region: str | None,
    phone: str | None,
    organization_zone: ZoneInfo,
) -> RecipientZones:
    if zones := zones_from_address(country, region):
        return RecipientZones(zones, ZoneSource.ADDRESS)
    if zones := zones_from_phone(phone):
        return RecipientZones(zones, ZoneSource.PHONE)
    return RecipientZones((organization_zone,), ZoneSource.ORGANIZATION)
