"""The customer fields duplicate detection reads, and their comparable forms."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from app.merges.names import canonical_first_name, fold, soundex

# Mail providers that ignore dots in the local part.
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One live customer as given to the suggestion engine (identifiers already normalized)."""

    id: uuid.UUID
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    external_reference: str | None = None
    birthday: dt.date | None = None
    postal_code: str | None = None


def canonical_email(email: str | None) -> str | None:
    """The mailbox an address reaches: `+tags` dropped, and dots where the provider ignores them."""
    if not email:
        return None
    local, _, domain = email.lower().rpartition("@")
    if not local:
        return None
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "") or local
        domain = "gmail.com"
    return f"{local}@{domain}"


def canonical_postal_code(postal_code: str | None) -> str | None:
    """Upper case without spaces; a US ZIP+4 compares by its five digits."""
    if not postal_code:
        return None
    code = "".join(postal_code.upper().split())
    if len(code) == 10 and code[5] == "-" and code[:5].isdigit():
        return code[:5]
    return code or None


class Prepared:
    """A candidate in comparable form; identifiers that are placeholders are already dropped."""

    __slots__ = (
        "birthday",
        "email",
        "external_reference",
        "first",
        "first_code",
        "id",
        "last",
        "last_code",
        "phone",
        "postal",
    )

    def __init__(self, candidate: Candidate, email: str | None) -> None:
        self.id = candidate.id
        self.first = canonical_first_name(fold(candidate.first_name))
        self.last = fold(candidate.last_name)
        self.first_code = soundex(self.first)
        self.last_code = soundex(self.last)
        self.email = email
        self.phone = candidate.phone or None
        self.external_reference = candidate.external_reference or None
        self.birthday = candidate.birthday
        self.postal = canonical_postal_code(candidate.postal_code)
