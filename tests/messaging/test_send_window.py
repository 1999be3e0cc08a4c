"""Quiet hours as the sender applies them to a recipient (rule 5), checked by hypothesis over
random send times (often around daylight-saving changes), recipients (an address, a number
that maps to one zone or to many, or nothing but the organization's zone) and windows: the
text's send time is inside the window in every zone the recipient may be in, and is the
earliest such instant. When those zones' windows never meet (a toll-free number spans Guam to
Pago Pago), the documented rule is the organization's own window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.messaging.quiet_hours import DEFAULT_WINDOW
from app.messaging.recipient_zones import recipient_zones, zones_from_phone
from app.messaging.send_window import recipient_send_time, window_from_settings

# Numbers whose libphonenumber zones are one, a few or very many (the strictest reading
# applies to all of them), and zones with unusual daylight saving.
PHONES = (
    "+12125550100",  # New York
    "+19075550100",  # Alaska: Anchorage and Adak
    "+17095550100",  # Newfoundland and Labrador: St Johns (-3:30) and Halifax
    "+18085550100",  # Hawaii, no DST
    "+18005550100",  # toll-free: every NANP zone, Guam to Pago Pago
    "+61412345678",  # Australian mobile: Perth to Lord Howe (30-minute DST)
    "+64211234567",  # New Zealand mobile: Auckland and Chatham (+12:45 / +13:45)
    "+6433050123",  # Chatham Islands
    None,
)
ADDRESSES = ((None, None), ("US", "NY"), ("US", "Arizona"), ("AU", "NSW"), ("NZ", None))
ORGANIZATION_ZONES = ("America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "UTC")


@cache
def _changes(name: str, year: int) -> tuple[datetime, ...]:
    zone, found = ZoneInfo(name), []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    while instant.year == year:
        following = instant + timedelta(hours=1)
        if instant.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        instant = following
    return tuple(found)


@st.composite
def _moments(draw: st.DrawFn) -> datetime:
    """Within two days of a New York, Lord Howe or Chatham clock change, or any time."""
    year = draw(st.integers(2025, 2030))
    if draw(st.booleans()):
        zone = draw(st.sampled_from(ORGANIZATION_ZONES[:3]))
        change = draw(st.sampled_from(_changes(zone, year)))
        return change + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    return datetime(year, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 365 * 86400)))


@st.composite
def _windows(draw: st.DrawFn) -> tuple[time, time]:
    if draw(st.booleans()):
        return DEFAULT_WINDOW
    first = draw(st.integers(0, 22 * 60))
    last = draw(st.integers(first + 60, 24 * 60 - 1))
    return time(first // 60, first % 60), time(last // 60, last % 60)


def _inside(instant: datetime, zones: tuple[ZoneInfo, ...], window: tuple[time, time]) -> bool:
    return all(window[0] <= instant.astimezone(z).time() < window[1] for z in zones)


def _first_inside(
    now: datetime, zones: tuple[ZoneInfo, ...], window: tuple[time, time]
) -> datetime | None:
    """The oracle: offsets and bounds are whole minutes, so the window opens at `now` or on a
    minute; walk two days of minutes."""
    if _inside(now, zones, window):
        return now
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < now + timedelta(days=2):
        if _inside(minute, zones, window):
            return minute
        minute += timedelta(minutes=1)
    return None


@settings(max_examples=100, deadline=None)
@given(
    now=_moments(),
    phone=st.sampled_from(PHONES),
    address=st.sampled_from(ADDRESSES),
    organization=st.sampled_from(ORGANIZATION_ZONES),
    window=_windows(),
)
def test_a_text_goes_at_the_first_instant_inside_the_window_wherever_its_recipient_may_be(
    now: datetime,
    phone: str | None,
    address: tuple[str | None, str | None],
    organization: str,
    window: tuple[time, time],
) -> None:
    country, region = address
    org_zone = ZoneInfo(organization)
    chosen = recipient_send_time(
        now,
        country=country,
        region=region,
        phone=phone,
        organization_zone=org_zone,
        window=window,
    )
    zones = recipient_zones(country=country, region=region, phone=phone, organization_zone=org_zone)
    if zones.source.value == "PHONE":
        # The strictest reading: every zone of the number, not the first.
        assert set(zones.zones) == set(zones_from_phone(phone))
    expected = _first_inside(now, zones.zones, window)
    if expected is not None:
        assert chosen == expected
        assert _inside(chosen, zones.zones, window)
        return
    if _inside(chosen, zones.zones, window):
        # Opens only after the two days the oracle walks (a long DST-shifted gap).
        assert chosen >= now + timedelta(days=2)
        return
    # The windows never meet in all the zones: the organization's own window applies.
    assert chosen == _first_inside(now, (org_zone,), window)


def test_a_toll_free_number_is_texted_when_every_nanp_zone_is_inside_the_window() -> None:
    # 08:00 in Guam is 11:00 the day before in Pago Pago and 18:00 in New York: the only
    # hours when 08:00-21:00 holds from Guam to Pago Pago.
    now = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
    chosen = recipient_send_time(
        now,
        country=None,
        region=None,
        phone="+18005550100",
        organization_zone=ZoneInfo("America/New_York"),
        window=DEFAULT_WINDOW,
    )
    assert chosen == datetime(2026, 7, 1, 22, 0, tzinfo=UTC)


def test_zones_whose_windows_never_meet_follow_the_organization_window() -> None:
    now = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 23:00 in New York
    chosen = recipient_send_time(
        now,
        country=None,
        region=None,
        phone="+18005550100",  # Guam to Pago Pago: one hour never holds in both
        organization_zone=ZoneInfo("America/New_York"),
        window=(time(9), time(10)),
    )
    assert chosen == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # 09:00 in New York


def test_the_window_setting_is_read_with_a_default() -> None:
    assert window_from_settings({"sms": {"quiet_hours": ["09:30", "20:00"]}}) == (
        time(9, 30),
        time(20, 0),
    )
    assert window_from_settings({"sms": {"quiet_hours": ["00:00", "24:00"]}}) == (
        time(0),
        time.max,
    )
    for bad in ({}, {"sms": {"quiet_hours": ["21:00", "08:00"]}}, {"sms": {"quiet_hours": "x"}}):
        assert window_from_settings(bad) == DEFAULT_WINDOW
