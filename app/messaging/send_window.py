"""When a marketing text to a recipient may go out, from what the organization and the
customer record say: the organization's window (`settings.sms.quiet_hours`, default
08:00-21:00) in every zone the recipient may be in (`recipient_zones`).

Asked twice: when the text is queued (its `next_attempt_at`), and again by the sender just
before the claim, since a wait for a retry or for a place in the organization's sending rate
can carry a text past the window's end.

When the recipient's zones' windows never overlap (a short window over zones far apart), the
text follows the organization's own zone: it is never held forever, and the organization's
window is the one it configured.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.messaging.quiet_hours import DEFAULT_WINDOW, NoSendWindow, next_send_time
from app.messaging.recipient_zones import recipient_zones

Window = tuple[dt.time, dt.time]


# "24:00" as the end: until midnight (the whole day with "00:00", for texts that are not
# marketing in a jurisdiction without quiet hours, or a benchmark).
_MIDNIGHT_END = "24:00"


def window_from_settings(settings: Any) -> Window:
    """`settings["sms"]["quiet_hours"]` (["08:00", "21:00"]), or the default when absent or bad."""
    sms = settings.get("sms") if isinstance(settings, dict) else None
    raw = sms.get("quiet_hours") if isinstance(sms, dict) else None
    if isinstance(raw, list) and len(raw) == 2:
        try:
            start = dt.time.fromisoformat(str(raw[0]))
            end = dt.time.max if raw[1] == _MIDNIGHT_END else dt.time.fromisoformat(str(raw[1]))
        except ValueError:
            return DEFAULT_WINDOW
        if start < end and start.tzinfo is None and end.tzinfo is None:
            return start, end
    return DEFAULT_WINDOW


def organization_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def recipient_send_time(
    now: dt.datetime,
    *,
    country: str | None,
    region: str | None,
    phone: str | None,
    organization_zone: ZoneInfo,
    window: Window,
) -> dt.datetime:
    """`now` when the window is open wherever the recipient may be, else its next opening."""
    zones = recipient_zones(
        country=country, region=region, phone=phone, organization_zone=organization_zone
    )
    try:
        return next_send_time(now, zones.zones, window)
    except NoSendWindow:
        return next_send_time(now, (organization_zone,), window)
