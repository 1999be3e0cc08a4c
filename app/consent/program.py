"""An organization's SMS program as its texts need it: sender settings, sending window, zone.

Stored as JSON in `Organization.settings["sms"]` (no API edits it yet; `loyalty` seeds and
tests write it directly) and read here with defaults, so an organization that configured
nothing still sends compliant texts named after itself:

    {"program_name": "Acme Rewards", "description": "reward updates and offers from Acme",
     "frequency": "Up to 4 msgs/month", "support_contact": "help@acme.example",
     "help_text": null, "from_number": "+15005550006", "quiet_hours": ["08:00", "21:00"],
     "rate_per_second": 10}

`from_number` is the number (or messaging service id) shoppers text: an inbound text is
routed to the organization whose `from_number` is its `To`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from app.consent.texts import SenderSettings
from app.messaging.send_window import organization_zone, window_from_settings
from app.messaging.throttle import rate_from_settings

DEFAULT_FREQUENCY = "Up to 4 msgs/month"
# SenderSettings' programName limit: a long legal name is cut rather than refused.
_PROGRAM_NAME_MAX = 40


@dataclass(frozen=True)
class SmsProgram:
    sender: SenderSettings
    window: tuple[dt.time, dt.time]
    zone: ZoneInfo
    from_number: str | None
    # Texts per second the sender may take (0: unthrottled); enforced by the outbox's sender.
    rate_per_second: int = 0


def _text(raw: dict[str, Any], key: str, default: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else default


def sms_program(name: str, timezone: str, settings: dict[str, Any]) -> SmsProgram:
    raw = settings.get("sms")
    raw = raw if isinstance(raw, dict) else {}
    short = name.strip()[:_PROGRAM_NAME_MAX] or "Rewards"
    help_text = raw.get("help_text")
    sender = SenderSettings(
        program_name=_text(raw, "program_name", short),
        description=_text(raw, "description", f"reward updates and offers from {short}"),
        frequency=_text(raw, "frequency", DEFAULT_FREQUENCY),
        support_contact=_text(raw, "support_contact", f"{short} customer service"),
        help_text=help_text if isinstance(help_text, str) and help_text.strip() else None,
    )
    from_number = raw.get("from_number")
    return SmsProgram(
        sender=sender,
        window=window_from_settings(settings),
        zone=organization_zone(timezone),
        from_number=from_number if isinstance(from_number, str) and from_number else None,
        rate_per_second=rate_from_settings(settings),
    )
