"""The texts of an organization's SMS program, built from its sender settings.

Carriers (the CTIA messaging principles) and the TCPA case law expect each of these to say who
is texting and how to get out: the double opt-in request names the program, what will be sent
and how often, asks for YES, and gives STOP, HELP and the "Msg & data rates may apply" notice;
the HELP answer repeats those with a support contact; the STOP answer confirms, once, that
nothing more will come. The wording lives here so the worker, the tests and a settings preview
all produce the same characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import FieldError
from app.messaging.segments import count_segments

RATES_NOTICE = "Msg & data rates may apply."

# A text longer than this is split into so many parts that carriers start filtering it.
MAX_SEGMENTS = 4


class SmsProgramErrorCode(StrEnum):
    """Why an organization's SMS settings were refused (`smsSettingsUpdate`)."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    CONTROL_CHARACTER = "CONTROL_CHARACTER"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    INVALID_FROM_NUMBER = "INVALID_FROM_NUMBER"
    INVALID_MESSAGING_SERVICE = "INVALID_MESSAGING_SERVICE"
    INVALID_QUIET_HOURS = "INVALID_QUIET_HOURS"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    INVALID_RATE = "INVALID_RATE"


@dataclass(frozen=True)
class SenderSettings:
    """What an organization's texts say about its program.

    `description` completes "you want …" (e.g. "reward updates and offers from Acme");
    `frequency` is a sentence such as "Up to 4 msgs/month"; `support_contact` is an email,
    a phone number or a web address; `help_text`, when set, replaces the description in the
    HELP answer.
    """

    program_name: str
    description: str
    frequency: str
    support_contact: str
    help_text: str | None = None


_LIMITS = {
    "programName": 40,
    "description": 100,
    "frequency": 40,
    "supportContact": 80,
    "helpText": 160,
}


def _clause(value: str) -> str:
    # Settings are typed by people: "Up to 4 msgs/month." must not end up as "month..".
    return value.strip().rstrip(".").strip()


def confirmation_text(settings: SenderSettings) -> str:
    """The double opt-in request: nothing else may be sent until the shopper answers YES."""
    return (
        f"{_clause(settings.program_name)}: Reply YES to confirm you want "
        f"{_clause(settings.description)}. {_clause(settings.frequency)}. {RATES_NOTICE} "
        "Reply HELP for help, STOP to cancel."
    )


def stop_text(settings: SenderSettings) -> str:
    """The one confirmation a shopper gets after STOP; nothing follows it."""
    return (
        f"{_clause(settings.program_name)}: You are unsubscribed and will receive no more "
        "messages. Reply START to resubscribe."
    )


def help_text(settings: SenderSettings) -> str:
    what = settings.help_text if settings.help_text else settings.description
    return (
        f"{_clause(settings.program_name)}: {_clause(what)}. {_clause(settings.frequency)}. "
        f"Support: {_clause(settings.support_contact)}. {RATES_NOTICE} Reply STOP to cancel."
    )


def _has_control(value: str) -> bool:
    return any(unicodedata.category(c)[0] == "C" for c in value)


def settings_errors(settings: SenderSettings) -> list[FieldError]:
    """Every problem with the settings at once, named by field; values are never echoed."""
    values = {
        "programName": settings.program_name,
        "description": settings.description,
        "frequency": settings.frequency,
        "supportContact": settings.support_contact,
        "helpText": settings.help_text,
    }
    errors: list[FieldError] = []
    for field, value in values.items():
        if value is None:
            continue
        if not _clause(value):
            if field != "helpText":
                errors.append(FieldError(SmsProgramErrorCode.REQUIRED, "Required.", field))
        elif len(value) > _LIMITS[field]:
            errors.append(
                FieldError(
                    SmsProgramErrorCode.TOO_LONG,
                    f"At most {_LIMITS[field]} characters.",
                    field,
                )
            )
        elif _has_control(value):
            errors.append(
                FieldError(
                    SmsProgramErrorCode.CONTROL_CHARACTER,
                    "Line breaks and control characters are not allowed.",
                    field,
                )
            )
    if errors:
        return errors
    for name, text in (("confirmation", confirmation_text), ("help", help_text)):
        if count_segments(text(settings)).segments > MAX_SEGMENTS:
            errors.append(
                FieldError(
                    SmsProgramErrorCode.TEXT_TOO_LONG,
                    f"The {name} text would need more than {MAX_SEGMENTS} SMS parts.",
                    None,
                )
            )
    return errors
