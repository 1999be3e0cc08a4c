"""Time-ordered UUIDs (the UUIDv7 layout of RFC 9562).

Ordering by id is ordering by creation, so keyset pagination needs only the primary key index,
and inserts append to the right edge of the B-tree instead of splitting random pages.
"""

from __future__ import annotations

import os
import time
import uuid

from app.core.errors import InvalidArgument


def new_id() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 68) << 64 & (((1 << 12) - 1) << 64)  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def parse_id(raw: str, what: str = "id") -> uuid.UUID:
    """Parse a client-supplied id; a malformed one is a typed client error, not a crash."""
    try:
        return uuid.UUID(str(raw).strip())
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"{what} is not a valid identifier") from None


def try_parse_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.strip())
    except (ValueError, AttributeError):
        return None
