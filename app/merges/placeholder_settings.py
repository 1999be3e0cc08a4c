"""An organization's placeholder list as staff edit it, and as the suggestion engine reads it.

Entries are typed (email, phone, external reference) and stored normalized:
- EMAIL `noemail@` (ending in `@`) is a local part on any domain; a full address is that
  mailbox (compared in its canonical form: `+tags` and gmail dots dropped);
- PHONE is a number in E.164 (national formats read with the organization's region); digits
  that are no valid number (`0000000000`) match the end of any number;
- EXTERNAL_REFERENCE is that exact reference.
Numbers that are one digit repeated or that count up or down are always placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.errors import DomainError
from app.core.identifiers import InvalidIdentifier, normalize_email, normalize_phone
from app.merges.candidates import canonical_email
from app.merges.duplicate_errors import DuplicateErrorCode as Code
from app.merges.placeholders import (
    DEFAULT_EMAIL_LOCAL_PARTS,
    DEFAULT_SHARED_THRESHOLD,
    PlaceholderList,
)
from app.merges.records import IdentifierKind

MAX_PLACEHOLDER_VALUES = 200
# Two customers sharing a value is the evidence suggestions are made of: never a placeholder.
MIN_SHARED_THRESHOLD = 2
MAX_SHARED_THRESHOLD = 10_000
_MIN_PHONE_TAIL = 6


@dataclass(frozen=True)
class PlaceholderValue:
    kind: IdentifierKind
    value: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "value": self.value}

    @classmethod
    def from_json(cls, raw: dict[str, str]) -> PlaceholderValue:
        return cls(IdentifierKind(raw["kind"]), raw["value"])


_FIRST_LOCAL_PARTS = ("noemail", "none")
DEFAULT_PLACEHOLDER_VALUES: tuple[PlaceholderValue, ...] = (
    PlaceholderValue(IdentifierKind.PHONE, "0000000000"),
    PlaceholderValue(IdentifierKind.PHONE, "1234567890"),
    *(
        PlaceholderValue(IdentifierKind.EMAIL, f"{part}@")
        for part in (
            *_FIRST_LOCAL_PARTS,
            *sorted(DEFAULT_EMAIL_LOCAL_PARTS - set(_FIRST_LOCAL_PARTS)),
        )
    ),
)


@dataclass(frozen=True)
class PlaceholderSettings:
    values: tuple[PlaceholderValue, ...] = DEFAULT_PLACEHOLDER_VALUES
    shared_threshold: int = DEFAULT_SHARED_THRESHOLD

    def placeholder_list(self) -> PlaceholderList:
        exact: set[str] = set()
        local_parts: set[str] = set()
        tails: set[str] = set()
        for entry in self.values:
            if entry.kind is IdentifierKind.EMAIL and entry.value.endswith("@"):
                local_parts.add(entry.value[:-1])
            elif entry.kind is IdentifierKind.PHONE and not entry.value.startswith("+"):
                tails.add(entry.value)
            else:
                exact.add(entry.value)
        return PlaceholderList(
            values=frozenset(exact),
            email_local_parts=frozenset(local_parts),
            pattern_phones=True,
            phone_tails=frozenset(tails),
        )


def _too_many(field: str) -> DomainError:
    return DomainError(
        Code.TOO_MANY_PLACEHOLDERS, f"At most {MAX_PLACEHOLDER_VALUES} placeholder values.", field
    )


def normalize_placeholder(
    kind: IdentifierKind, raw: str, default_region: str, field: str = "values.0.value"
) -> PlaceholderValue:
    """The stored form of one entry; refuses what cannot be one, naming the entry's `field`
    and never echoing the value."""

    def invalid(message: str) -> DomainError:
        return DomainError(Code.INVALID_PLACEHOLDER, message, field)

    text = raw.strip()
    if not text:
        raise invalid("A placeholder value cannot be empty.")
    if kind is IdentifierKind.EMAIL:
        shape = "An email placeholder is an address, or a local part followed by @."
        if text.endswith("@"):
            local = text[:-1].lower()
            if not local or "@" in local or any(ch.isspace() for ch in local) or len(local) > 64:
                raise invalid(shape)
            return PlaceholderValue(kind, f"{local}@")
        try:
            email = canonical_email(normalize_email(text))
        except InvalidIdentifier:
            raise invalid(shape) from None
        assert email is not None
        return PlaceholderValue(kind, email)
    if kind is IdentifierKind.PHONE:
        try:
            return PlaceholderValue(kind, normalize_phone(text, default_region))
        except InvalidIdentifier:
            digits = "".join(ch for ch in text if ch.isdigit())
            if (
                len(digits) < _MIN_PHONE_TAIL
                or len(digits) > 15
                or not all(ch.isdigit() or ch in "+-(). " for ch in text)
            ):
                raise invalid("A phone placeholder is a number or its digits.") from None
            return PlaceholderValue(kind, digits)
    return PlaceholderValue(kind, text)


def normalize_placeholders(
    entries: Sequence[tuple[IdentifierKind, str]], default_region: str, field: str
) -> list[PlaceholderValue]:
    """Each entry normalized; an error names `<field>.<index>.value`."""
    # Counted before any is parsed: a phone costs tens of microseconds.
    if len(entries) > MAX_PLACEHOLDER_VALUES:
        raise _too_many(field)
    return [
        normalize_placeholder(kind, raw, default_region, f"{field}.{index}.value")
        for index, (kind, raw) in enumerate(entries)
    ]


def validated_settings(
    values: Sequence[PlaceholderValue], shared_threshold: int
) -> PlaceholderSettings:
    """The settings staff asked for (values normalized), repeated entries once (first kept)."""
    unique = tuple(dict.fromkeys(values))
    if len(unique) > MAX_PLACEHOLDER_VALUES:
        raise _too_many("values")
    if not MIN_SHARED_THRESHOLD <= shared_threshold <= MAX_SHARED_THRESHOLD:
        raise DomainError(
            Code.INVALID_THRESHOLD,
            f"The threshold is between {MIN_SHARED_THRESHOLD} and {MAX_SHARED_THRESHOLD}.",
            "sharedThreshold",
        )
    return PlaceholderSettings(unique, shared_threshold)
