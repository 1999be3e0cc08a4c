"""When a text may go out: inside the sending window in every one of the recipient's zones.

US law (TCPA) forbids marketing texts before 08:00 or after 21:00 in the recipient's local
time. When we do not know which of several zones the recipient is in, the text waits until the
window is open in all of them: the strictest reading.

"Inside the window" is judged on the wall clock: instant `t` is inside for zone `z` when
`t.astimezone(z).time()` is in `[start, end)`. Daylight-saving changes are handled by
construction rather than by formula: the window can only open where the wall clock reads
`start` (either occurrence, when the hour repeats) or where it jumps (a gap over `start`), so
those instants are the only candidates to check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_WINDOW = (time(8, 0), time(21, 0))

# Windows repeat daily; if no common opening is found within this horizon the zones' windows
# never overlap (a short window over zones far apart).
_HORIZON = timedelta(days=8)
# A single zone's daily window opens within a day, a day and an hour across a DST change.
_ZONE_HORIZON = timedelta(days=3)
# Offsets change at most a few times a year; sampling hourly finds every change, which is then
# located to the second by bisection.
_SAMPLE = timedelta(hours=1)


class NoSendWindow(Exception):
    """The window is never open in all the zones at once."""

    def __init__(self) -> None:
        super().__init__("The sending window is never open in all of the recipient's time zones.")


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window bounds are wall-clock times without a zone")
        if not self.start < self.end:
            raise ValueError("window start must be before its end on the same day")

    def contains(self, instant: datetime, zone: ZoneInfo) -> bool:
        local = instant.astimezone(zone).time()
        return self.start <= local < self.end


def _transitions(zone: ZoneInfo, since: datetime, until: datetime) -> list[datetime]:
    """Instants in [since, until] where the zone's UTC offset changes, to the microsecond."""
    found: list[datetime] = []
    left = since
    while left < until:
        right = min(left + _SAMPLE, until)
        if left.astimezone(zone).utcoffset() != right.astimezone(zone).utcoffset():
            low, high = left, right  # offset(low) != offset(high); find the first new one
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        left = right
    return found


def _wall_clock(day: date, at: time, zone: ZoneInfo) -> Iterable[datetime]:
    """Both readings of a local wall-clock time as UTC instants (equal unless it repeats)."""
    for fold in (0, 1):
        yield datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC)


def _next_open(window: Window, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The earliest instant at or after `after` inside the window in `zone`."""
    if window.contains(after, zone):
        return after
    until = after + _ZONE_HORIZON
    first_day = after.astimezone(zone).date() - timedelta(days=1)
    readings: set[datetime] = set()
    for offset in range(_ZONE_HORIZON.days + 2):
        readings.update(_wall_clock(first_day + timedelta(days=offset), window.start, zone))
    opening = next(
        (c for c in sorted(readings) if after <= c <= until and window.contains(c, zone)), None
    )
    # A clock change before that reading may open the window earlier (a jump over `start`);
    # only that stretch needs searching for changes, which keeps the usual case cheap.
    jumps = _transitions(zone, after, opening if opening is not None else until)
    inside = [c for c in jumps if window.contains(c, zone)]
    return min([*inside, opening]) if opening is not None else min(inside, default=None)


def next_send_time(
    now: datetime, zones: Sequence[ZoneInfo], window: tuple[time, time] = DEFAULT_WINDOW
) -> datetime:
    """`now` when the window is open in every zone, else the earliest instant when it is.

    Raises `NoSendWindow` when the zones' windows never overlap.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not zones:
        raise ValueError("at least one time zone is needed")
    bounds = Window(*window)
    moment = now.astimezone(UTC)
    limit = moment + _HORIZON
    while moment <= limit:
        closed = [zone for zone in zones if not bounds.contains(moment, zone)]
        if not closed:
            return moment
        # Nothing in [moment, opening) is open in that zone, so nothing before the latest of
        # those openings is open in all of them: jump there and check the others again.
        openings = [_next_open(bounds, zone, moment) for zone in closed]
        if any(opening is None for opening in openings):
            break
        moment = max(o for o in openings if o is not None)
    raise NoSendWindow
