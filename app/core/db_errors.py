"""Telling a database error worth retrying from one that will fail again."""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import OperationalError, TransactionManagementError

# SQLite says "database is locked" when another writer holds it past the busy timeout;
# PostgreSQL's deadlock and serialization failures reach Tortoise's wrappers as text too.
_TRANSIENT_TEXT = ("database is locked", "deadlock", "could not serialize")


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL) or a busy database (SQLite).

    The transaction was rolled back whole, so running the same work again is safe and likely
    to succeed; anything else would fail the same way again.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, asyncpg.TransactionRollbackError):
            return True
        if isinstance(current, OperationalError | TransactionManagementError):
            text = str(current)
            if any(marker in text for marker in _TRANSIENT_TEXT):
                return True
        current = current.__cause__
    return False
