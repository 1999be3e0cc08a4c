"""The organization's SMS sender settings as staff read and change them (`smsSettings`,
`smsSettingsUpdate`).

Stored in `Organization.settings["sms"]` (the keys `app.consent.program` reads); an unset key
keeps its default. A change is validated whole before anything is stored, so one refused field
leaves every setting as it was, and is audited (`ORGANIZATION_UPDATED`, naming the keys
changed, never their values).

Rules: the from-number is E.164; a messaging service id is Twilio's `MG` + 32 hex digits; the
sending window lies within 08:00–21:00 (the US TCPA's limits: an organization may narrow it,
never widen it) and starts before it ends; the program's wording obeys `texts.settings_errors`
(length per field, no line breaks, texts of at most four SMS parts); the rate is 0 (no
throttle) to 1000 texts per second.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.consent.program import SmsProgram, sms_program
from app.consent.texts import SmsProgramErrorCode as Code
from app.consent.texts import settings_errors
from app.core.errors import FieldError, ValidationFailed
from app.core.identifiers import is_valid_timezone
from app.core.transactions import atomic
from app.models.audit import AuditAction
from app.organizations import repository as organizations
from app.organizations.profile import forget_profile

EARLIEST, LATEST = dt.time(8, 0), dt.time(21, 0)
MAX_RATE_PER_SECOND = 1000
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class SmsSettingsChanges:
    """What to change; None leaves a setting as it is. An empty string clears the optional
    ones (from-number, messaging service, help text, time zone): back to the default."""

    from_number: str | None = None
    messaging_service_sid: str | None = None
    program_name: str | None = None
    description: str | None = None
    help_text: str | None = None
    support_contact: str | None = None
    frequency: str | None = None
    quiet_hours_start: dt.time | None = None
    quiet_hours_end: dt.time | None = None
    time_zone: str | None = None
    rate_per_second: int | None = None


# Input field -> stored key, for the settings stored as they are given (texts and ids).
_STORED_AS_GIVEN = {
    "from_number": "fromNumber",
    "messaging_service_sid": "messagingServiceSid",
    "program_name": "programName",
    "description": "description",
    "help_text": "helpText",
    "support_contact": "supportContact",
    "frequency": "frequency",
    "time_zone": "timeZone",
}
_CLEARABLE = frozenset({"from_number", "messaging_service_sid", "help_text", "time_zone"})


async def get_sms_settings(principal: Principal) -> SmsProgram:
    # Every credential of the organization may read its own settings (as `organization`).
    org = await organizations.get(principal.organization_id)
    return sms_program(org.name, org.timezone, org.settings or {})


def _format_errors(stored: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    number = stored.get("from_number")
    if number is not None and not _is_e164(number):
        errors.append(
            FieldError(
                Code.INVALID_FROM_NUMBER,
                "Give the number in E.164 form, e.g. +15005550006.",
                "fromNumber",
            )
        )
    service = stored.get("messaging_service_sid")
    if service is not None and not _MESSAGING_SERVICE.match(service):
        errors.append(
            FieldError(
                Code.INVALID_MESSAGING_SERVICE,
                "A messaging service id is MG followed by 32 hexadecimal digits.",
                "messagingServiceSid",
            )
        )
    zone = stored.get("time_zone")
    if zone is not None and not is_valid_timezone(zone):
        errors.append(FieldError(Code.INVALID_TIMEZONE, "Unknown time zone.", "timeZone"))
    rate = stored.get("rate_per_second", 0)
    if not 0 <= rate <= MAX_RATE_PER_SECOND:
        errors.append(
            FieldError(
                Code.INVALID_RATE,
                f"Give 0 (no limit) to {MAX_RATE_PER_SECOND} texts per second.",
                "ratePerSecond",
            )
        )
    return errors


def _is_e164(number: str) -> bool:
    if not _E164.match(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def _window_errors(start: dt.time, end: dt.time) -> list[FieldError]:
    if start >= end:
        return [
            FieldError(
                Code.INVALID_QUIET_HOURS,
                "The sending window must start before it ends.",
                "quietHoursStart",
            )
        ]
    if start < EARLIEST or end > LATEST:
        return [
            FieldError(
                Code.INVALID_QUIET_HOURS,
                "Texts may only be sent between 08:00 and 21:00 in the recipient's time.",
                "quietHoursStart" if start < EARLIEST else "quietHoursEnd",
            )
        ]
    return []


def _apply(
    stored: dict[str, Any], changes: SmsSettingsChanges
) -> tuple[dict[str, Any], set[str], list[FieldError]]:
    """The stored settings with `changes` made, the keys changed, and the required texts
    given empty."""
    updated = dict(stored)
    changed: set[str] = set()
    errors: list[FieldError] = []
    for name, field in _STORED_AS_GIVEN.items():
        value = getattr(changes, name)
        if value is None:
            continue
        value = value.strip()
        if value:
            updated[name] = value
        elif name in _CLEARABLE:
            updated.pop(name, None)
        else:
            errors.append(FieldError(Code.REQUIRED, "Required.", field))
        changed.add(name)
    if changes.rate_per_second is not None:
        updated["rate_per_second"] = changes.rate_per_second
        changed.add("rate_per_second")
    return updated, changed, errors


async def update_sms_settings(principal: Principal, changes: SmsSettingsChanges) -> SmsProgram:
    """Apply `changes` to the organization's SMS settings, or refuse them all at once."""
    principal.require(Operation.ORGANIZATION_MANAGE)
    async with atomic() as conn:
        org = await organizations.get_for_update(principal.organization_id, conn)
        settings: dict[str, Any] = dict(org.settings or {})
        current = sms_program(org.name, org.timezone, settings)
        stored = settings.get("sms")
        updated, changed, errors = _apply(dict(stored) if isinstance(stored, dict) else {}, changes)
        errors += _format_errors(updated)
        start = changes.quiet_hours_start or current.window[0]
        end = changes.quiet_hours_end or current.window[1]
        if changes.quiet_hours_start is not None or changes.quiet_hours_end is not None:
            errors += _window_errors(start, end)
            updated["quiet_hours"] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
            changed.add("quiet_hours")
        program = sms_program(org.name, org.timezone, {**settings, "sms": updated})
        errors += [e for e in settings_errors(program.sender) if _given(e, changes)]
        if errors:
            raise ValidationFailed(errors)
        org.settings = {**settings, "sms": updated}
        await organizations.save(org, conn, ["settings", "updated_at"])
        await audit.record(
            principal,
            AuditAction.ORGANIZATION_UPDATED,
            "organization",
            org.id,
            {"sms": sorted(changed)},
            using_db=conn,
        )
    forget_profile(principal.organization_id)
    return program


def _given(error: FieldError, changes: SmsSettingsChanges) -> bool:
    """Whether a wording error concerns this change: a text that no longer fits (field None)
    or a field the caller sent; a default built from a long organization name is not theirs."""
    if error.field is None:
        return True
    return any(
        getattr(changes, name) is not None
        for name, field in _STORED_AS_GIVEN.items()
        if field == error.field
    )
