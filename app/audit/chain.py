"""The audit log's hash chain: what an entry's hash covers, and checking a chain.

Each entry's hash is sha256 over a canonical serialization of the entry (every column but the
hash itself, in a fixed order, JSON with sorted keys) followed by the previous entry's hash of
the same organization. Changing, removing or reordering any entry, or dropping the newest ones
(the chain head remembers the last), changes a hash that `verify` recomputes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

GENESIS = "0" * 64


class ChainedEntry(Protocol):
    """The columns of an audit entry the hash covers (AuditEvent has them)."""

    id: uuid.UUID
    organization_id: object
    sequence: int | None
    action: Any
    actor_kind: Any
    actor_id: uuid.UUID | None
    subject_type: str
    subject_id: uuid.UUID
    details: dict[str, Any]
    created_at: dt.datetime
    previous_hash: str | None
    hash: str | None


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _timestamp(value: dt.datetime) -> str:
    # Stored in UTC with microseconds on both databases; naive means UTC (SQLite).
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(entry: ChainedEntry) -> bytes:
    document = [
        str(entry.id),
        str(entry.organization_id),
        entry.sequence,
        _text(entry.action),
        _text(entry.actor_kind),
        _text(entry.actor_id),
        entry.subject_type,
        str(entry.subject_id),
        entry.details,
        _timestamp(entry.created_at),
    ]
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: ChainedEntry, previous_hash: str) -> str:
    return hashlib.sha256(canonical(entry) + previous_hash.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """The result of checking one organization's chain."""

    checked: int
    # Entries written before the chain existed (no hash), which the chain cannot vouch for.
    unchained: int
    broken_entry: uuid.UUID | None = None
    broken_sequence: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


class ChainChecker:
    """Checks one organization's chained entries fed in sequence order, one at a time (a
    chain of millions of entries is read in batches, never held whole)."""

    def __init__(self, unchained: int = 0) -> None:
        self.previous = GENESIS
        self.checked = 0
        self.unchained = unchained
        self.verdict: Verdict | None = None
        self.started_at: dt.datetime | None = None

    def _broken(self, entry: ChainedEntry, reason: str) -> Verdict:
        self.verdict = Verdict(self.checked, self.unchained, entry.id, entry.sequence, reason)
        return self.verdict

    def feed(self, entry: ChainedEntry) -> Verdict | None:
        """None while the chain holds; the verdict naming the first broken entry otherwise."""
        if self.verdict is not None:
            return self.verdict
        if self.started_at is None:
            self.started_at = entry.created_at
        if entry.sequence != self.checked + 1:
            return self._broken(entry, "sequence gap (an entry is missing)")
        if entry.previous_hash != self.previous:
            return self._broken(entry, "previous hash does not match")
        if entry.hash != entry_hash(entry, self.previous):
            return self._broken(entry, "content does not match its hash")
        self.previous = entry.hash
        self.checked += 1
        return None

    def outside(self, entry: ChainedEntry) -> Verdict:
        """An entry without a hash dated after the chain began."""
        return self._broken(entry, "entry outside the chain")

    def finish(self, head_sequence: int, head_hash: str | None) -> Verdict:
        """The verdict once every entry was fed: the head must be the last entry seen."""
        if self.verdict is not None:
            return self.verdict
        if head_sequence != self.checked or (self.checked and head_hash != self.previous):
            return Verdict(
                self.checked, self.unchained, None, self.checked + 1, "newest entries are missing"
            )
        return Verdict(self.checked, self.unchained)
