from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.messaging.quiet_hours import DEFAULT_WINDOW, NoSendWindow, next_send_time

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

# Zones with daylight saving at unusual hours or by unusual amounts, and far-apart offsets.
_INTERESTING = (
    "America/New_York",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/St_Johns",
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight
    "Asia/Beirut",  # changes at midnight
    "Australia/Lord_Howe",  # a 30-minute shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
    "Europe/London",
    "Africa/Casablanca",  # leaves DST for Ramadan
    "Asia/Kolkata",
    "Pacific/Honolulu",
)
_ALL = tuple(sorted(available_timezones() - {"Factory", "localtime"}))


def _inside_everywhere(instant: datetime, zones: list[ZoneInfo], start: time, end: time) -> bool:
    return all(start <= instant.astimezone(z).time() < end for z in zones)


@cache
def _transitions(name: str, year: int) -> tuple[datetime, ...]:
    """Offset changes of a zone in a year, found the slow and obvious way (hour steps)."""
    zone = ZoneInfo(name)
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    while instant.year == year:
        following = instant + timedelta(hours=1)
        if instant.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        instant = following
    return tuple(found)


@st.composite
def _moments(draw: st.DrawFn, zones: list[str]) -> datetime:
    """Often near one of the zones' offset changes, otherwise anywhere in 2025-2035."""
    year = draw(st.integers(2025, 2035))
    changes = [t for name in zones for t in _transitions(name, year)]
    near_change = draw(st.booleans())
    if changes and near_change:
        base = draw(st.sampled_from(changes))
        return base + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    start = datetime(year, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 365 * 86400)))


@st.composite
def _cases(draw: st.DrawFn) -> tuple[datetime, list[str], time, time]:
    pool = st.sampled_from(_INTERESTING) | st.sampled_from(_ALL)
    names = draw(st.lists(pool, min_size=1, max_size=3, unique=True))
    now = draw(_moments(names))
    if draw(st.booleans()):
        start, end = DEFAULT_WINDOW
    else:
        first = draw(st.integers(0, 23 * 60 - 1))
        last = draw(st.integers(first + 60, 24 * 60 - 1))
        start, end = time(first // 60, first % 60), time(last // 60, last % 60)
    return now, names, start, end


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_the_send_time_is_the_first_instant_inside_the_window_in_every_zone(
    case: tuple[datetime, list[str], time, time],
) -> None:
    now, names, start, end = case
    zones = [ZoneInfo(name) for name in names]
    try:
        chosen = next_send_time(now, zones, (start, end))
    except NoSendWindow:
        chosen = None
    # The oracle: every offset and window bound here is a whole minute, so the window can only
    # open at `now` or on a minute boundary. Walk minute by minute for two days.
    expected = now if _inside_everywhere(now, zones, start, end) else None
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while expected is None and minute < now + timedelta(days=2):
        if _inside_everywhere(minute, zones, start, end):
            expected = minute
        minute += timedelta(minutes=1)
    if expected is None:
        # Nothing within two days: then either nothing ever, or something later still.
        if chosen is not None:
            assert chosen >= now + timedelta(days=2)
            assert _inside_everywhere(chosen, zones, start, end)
        return
    assert chosen == expected
    assert _inside_everywhere(chosen, zones, start, end)


def test_inside_the_window_it_is_now() -> None:
    now = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # 12:00 in New York
    assert next_send_time(now, [NEW_YORK]) == now


def test_at_night_it_waits_for_eight_in_the_morning() -> None:
    now = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # 23:00 in New York
    assert next_send_time(now, [NEW_YORK]) == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def test_the_end_of_the_window_is_closed() -> None:
    now = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 21:00 sharp in New York
    assert next_send_time(now, [NEW_YORK]) == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def test_several_zones_wait_for_the_latest_opening() -> None:
    # 08:30 in New York is 05:30 in Los Angeles: wait for 08:00 there (11:00 in New York).
    now = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    assert next_send_time(now, [NEW_YORK, LOS_ANGELES]) == datetime(2026, 6, 1, 15, tzinfo=UTC)


def test_the_morning_after_spring_forward_opens_at_eight_daylight_time() -> None:
    # 8 March 2026: clocks in New York go from 02:00 EST to 03:00 EDT.
    now = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert next_send_time(now, [NEW_YORK]) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_a_window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    now = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST
    opened = next_send_time(now, [NEW_YORK], (time(2, 30), time(5, 0)))
    assert opened == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the jump
    assert opened.astimezone(NEW_YORK).time() == time(3, 0)


def test_a_window_starting_in_the_repeated_hour_opens_at_its_first_reading() -> None:
    # 1 November 2026: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    now = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT
    opened = next_send_time(now, [NEW_YORK], (time(1, 30), time(5, 0)))
    assert opened == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_zones_whose_windows_never_meet_are_refused() -> None:
    tokyo, new_york = ZoneInfo("Asia/Tokyo"), NEW_YORK
    with pytest.raises(NoSendWindow):
        next_send_time(datetime(2026, 1, 5, tzinfo=UTC), [tokyo, new_york], (time(9), time(10)))


@pytest.mark.parametrize(
    ("now", "zones", "window"),
    [
        (datetime(2026, 1, 1), [NEW_YORK], DEFAULT_WINDOW),
        (datetime(2026, 1, 1, tzinfo=UTC), [], DEFAULT_WINDOW),
        (datetime(2026, 1, 1, tzinfo=UTC), [NEW_YORK], (time(21), time(8))),
    ],
)
def test_bad_arguments_are_refused(
    now: datetime, zones: list[ZoneInfo], window: tuple[time, time]
) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        next_send_time(now, zones, window)
