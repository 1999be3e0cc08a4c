"""Placeholder identifiers: values typed for people who gave none, never evidence of identity.

A value is a placeholder when more live customers share it than a person plausibly would (a
store's phone typed for every walk-in), or when the organization lists it. The list holds
exact values (the stores' own phones) and the shapes every till produces (`noemail@...`,
`0000000000`), with defaults an organization extends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from app.merges.records import IdentifierKind

DEFAULT_SHARED_THRESHOLD = 5

# Local parts of addresses people type to get past a required email field.
DEFAULT_EMAIL_LOCAL_PARTS = frozenset(
    {
        "noemail",
        "no.email",
        "no-email",
        "none",
        "no",
        "na",
        "n.a",
        "nomail",
        "noreply",
        "no-reply",
        "donotreply",
        "unknown",
        "test",
        "email",
        "customer",
        "guest",
        "null",
        "nobody",
        "declined",
        "refused",
    }
)
# National numbers that are a pattern, not a line: one digit repeated, or counting up or down.
_PATTERN_NUMBERS = frozenset({"1234567890", "0123456789", "9876543210", "123456789", "987654321"})


class PlaceholderReason(StrEnum):
    SHARED = "SHARED"
    LISTED = "LISTED"


@dataclass(frozen=True)
class PlaceholderList:
    """The organization's placeholder values (normalized), with the defaults."""

    values: frozenset[str] = frozenset()
    email_local_parts: frozenset[str] = DEFAULT_EMAIL_LOCAL_PARTS
    pattern_phones: bool = True
    # Digits a phone number ends with (`0000000000`: no valid number has them in full, but a
    # country code in front of them can pass as one).
    phone_tails: frozenset[str] = frozenset()

    def with_values(self, *values: str) -> PlaceholderList:
        return PlaceholderList(
            self.values | set(values),
            self.email_local_parts,
            self.pattern_phones,
            self.phone_tails,
        )

    def lists(self, kind: IdentifierKind, value: str) -> bool:
        if value in self.values:
            return True
        if kind is IdentifierKind.EMAIL:
            return value.partition("@")[0] in self.email_local_parts
        if kind is IdentifierKind.PHONE:
            if any(value.endswith(tail) for tail in self.phone_tails):
                return True
            return self.pattern_phones and _is_pattern_phone(value)
        return False


def _is_pattern_phone(e164: str) -> bool:
    digits = e164.lstrip("+")
    # The last 10 digits hold the national number of NANP and most plans' subscriber part.
    tail = digits[-10:]
    return len(set(tail)) == 1 or tail in _PATTERN_NUMBERS or tail[-9:] in _PATTERN_NUMBERS


@dataclass(frozen=True)
class Placeholder:
    """A flagged value with how many live customers hold it (no other personal data)."""

    kind: IdentifierKind
    value: str
    count: int
    reason: PlaceholderReason


@dataclass
class PlaceholderFinder:
    """Counts identifier values over one pass of the customers, then says which are placeholders."""

    placeholder_list: PlaceholderList = field(default_factory=PlaceholderList)
    threshold: int = DEFAULT_SHARED_THRESHOLD
    counts: dict[IdentifierKind, Counter[str]] = field(
        default_factory=lambda: {kind: Counter() for kind in IdentifierKind}
    )

    def add(self, kind: IdentifierKind, value: str | None) -> None:
        if value:
            self.counts[kind][value] += 1

    def found(self) -> list[Placeholder]:
        flagged: list[Placeholder] = []
        for kind, counter in self.counts.items():
            for value, count in counter.items():
                if self.placeholder_list.lists(kind, value):
                    flagged.append(Placeholder(kind, value, count, PlaceholderReason.LISTED))
                elif count > self.threshold:
                    flagged.append(Placeholder(kind, value, count, PlaceholderReason.SHARED))
        flagged.sort(key=lambda p: (-p.count, p.kind, p.value))
        return flagged
