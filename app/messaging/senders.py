"""Which number (or messaging service) an organization's texts come from.

An organization may set its own `from_number` or `messaging_service_sid` in
`Organization.settings["sms"]` (`smsSettingsUpdate`); one without either sends from the
installation's `LOYALTY_SMS_FROM` / `LOYALTY_SMS_MESSAGING_SERVICE`. A messaging service wins
over a number when both are set, as in Twilio's own API (the service picks the number).

A worker sends thousands of texts a minute for one organization, so the sender is cached per
organization for `CACHE_SECONDS`: a change of settings reaches running workers within that.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.messaging import repository
from app.messaging.provider import Sender

CACHE_SECONDS = 30.0


def _set(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def sender_of(raw: Mapping[str, object]) -> Sender | None:
    """The sender an organization's `settings["sms"]` names, or None (the installation's)."""
    service = _set(raw, "messaging_service_sid")
    if service is not None:
        return Sender(messaging_service_id=service)
    number = _set(raw, "from_number")
    return Sender(from_number=number) if number is not None else None


@dataclass
class OrganizationSenders:
    """Per-organization senders over a default, read from the database and kept briefly."""

    default: Sender
    ttl_seconds: float = CACHE_SECONDS
    _cached: dict[uuid.UUID, tuple[float, Sender]] = field(default_factory=dict)

    async def sender_for(self, organization_id: uuid.UUID) -> Sender:
        now = time.monotonic()
        hit = self._cached.get(organization_id)
        if hit is not None and now - hit[0] < self.ttl_seconds:
            return hit[1]
        own = sender_of(await repository.organization_sms_settings(organization_id))
        sender = own or self.default
        self._cached[organization_id] = (now, sender)
        return sender
