"""An organization's SMS program as its texts need it: sender settings, sending window, zone.

Stored as JSON in `Organization.settings["sms"]` (edited by `smsSettingsUpdate`, see
`app.consent.settings`) and read here with defaults, so an organization that configured
nothing still sends compliant texts named after itself:

    {"program_name": "Acme Rewards", "description": "reward updates and offers from Acme",
     "frequency": "Up to 4 msgs/month", "support_contact": "help@acme.example",
     "help_text": null, "from_number": "+15005550006", "messaging_service_sid": null,
     "quiet_hours": ["08:00", "21:00"], "time_zone": null, "rate_per_second": 0}

`from_number` and `messaging_service_sid` are what shoppers text: an inbound text is routed to
the organization naming its `To` (or its `MessagingServiceSid`), and the Twilio provider
sends from them (`app.messaging.senders`). `time_zone` is the zone of quiet hours for a
recipient whose own zone is unknown (default: the organization's). `rate_per_second` caps the
organization's texts per second (0: unthrottled).
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
    messaging_service_sid: str | None = None
    # Texts per second the organization's sender may take; 0 means unthrottled.
    rate_per_second: int = 0

    @property
    def addresses(self) -> tuple[str, ...]:
        """The identities shoppers text: the number and the messaging service, when set."""
        return tuple(v for v in (self.from_number, self.messaging_service_sid) if v)


def _text(raw: dict[str, Any], key: str, default: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else default


def _optional(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


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
    return SmsProgram(
        sender=sender,
        window=window_from_settings(settings),
        zone=organization_zone(_optional(raw, "time_zone") or timezone),
        from_number=_optional(raw, "from_number"),
        messaging_service_sid=_optional(raw, "messaging_service_sid"),
        rate_per_second=rate_from_settings(settings),
    )
