from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import pytest

from app.messaging.recipient_zones import (
    ZoneSource,
    recipient_zones,
    zones_from_address,
    zones_from_phone,
)
from app.messaging.region_zones import REGIONS_BY_COUNTRY

BERLIN = ZoneInfo("Europe/Berlin")


def _names(zones: tuple[ZoneInfo, ...]) -> list[str]:
    return [z.key for z in zones]


def test_every_zone_in_the_region_table_exists() -> None:
    known = available_timezones()
    for regions in REGIONS_BY_COUNTRY.values():
        for _name, zones in regions.values():
            assert zones
            assert set(zones) <= known


def test_the_table_covers_every_state_and_province() -> None:
    assert len(REGIONS_BY_COUNTRY["US"]) == 50 + 1 + 5  # states, DC, inhabited territories
    assert len(REGIONS_BY_COUNTRY["CA"]) == 13


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("US", "CA", ["America/Los_Angeles"]),
        ("us", "california", ["America/Los_Angeles"]),
        ("US", "New York", ["America/New_York"]),
        ("US", "TX", ["America/Chicago", "America/Denver"]),
        ("US", "Florida", ["America/New_York", "America/Chicago"]),
        ("US", "U.S. Virgin Islands", ["America/St_Thomas"]),
        ("CA", "QC", ["America/Toronto", "America/Halifax", "America/Blanc-Sablon"]),
        (
            "CA",
            "British Columbia",
            ["America/Vancouver", "America/Edmonton", "America/Dawson_Creek"],
        ),
        # A country with one zone needs no region.
        ("FR", None, ["Europe/Paris"]),
        ("JP", "Tokyo", ["Asia/Tokyo"]),
        # A country with several zones and no known region pins nothing down.
        ("US", None, []),
        ("US", "Atlantis", []),
        ("BR", "SP", []),
        ("ZZ", None, []),
        (None, "CA", []),
    ],
)
def test_zones_from_address(country: str | None, region: str | None, expected: list[str]) -> None:
    assert _names(zones_from_address(country, region)) == expected


def test_zones_from_a_phone_number_follow_its_area_code() -> None:
    assert _names(zones_from_phone("+12125550143")) == ["America/New_York"]
    assert _names(zones_from_phone("+14155550132")) == ["America/Los_Angeles"]
    assert _names(zones_from_phone("+33612345678")) == ["Europe/Paris"]


def test_a_number_with_several_zones_gives_all_of_them() -> None:
    zones = _names(zones_from_phone("+61412345678"))  # an Australian mobile: anywhere
    assert len(zones) > 1
    assert "Australia/Sydney" in zones
    assert "Australia/Perth" in zones


@pytest.mark.parametrize("phone", [None, "", "not a number", "+999"])
def test_an_unusable_phone_gives_no_zone(phone: str | None) -> None:
    assert zones_from_phone(phone) == ()


def test_the_address_wins_over_the_phone() -> None:
    found = recipient_zones(
        country="US", region="WA", phone="+12125550143", organization_zone=BERLIN
    )
    assert found.source is ZoneSource.ADDRESS
    assert _names(found.zones) == ["America/Los_Angeles"]


def test_the_phone_is_used_when_the_address_says_nothing() -> None:
    found = recipient_zones(
        country="US", region=None, phone="+12125550143", organization_zone=BERLIN
    )
    assert found.source is ZoneSource.PHONE
    assert _names(found.zones) == ["America/New_York"]


def test_the_organization_zone_is_the_last_resort() -> None:
    found = recipient_zones(country=None, region=None, phone=None, organization_zone=BERLIN)
    assert found.source is ZoneSource.ORGANIZATION
    assert found.zones == (BERLIN,)
