"""Time-ordered UUIDs (the UUIDv7 layout of RFC 9562).

Ordering by id is ordering by creation, so keyset pagination needs only the primary key index,
and inserts append to the right edge of the B-tree instead of splitting random pages.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

from app.core.errors import InvalidArgument

_RANDOM_BITS = 74  # 12 bits of rand_a and 62 of rand_b
_last = (0, 0)  # (millis, random bits) of the previous id of this process
_lock = threading.Lock()


def new_id() -> uuid.UUID:
    """A UUIDv7, strictly increasing within this process (RFC 9562, section 6.2, method 2).

    Within one millisecond the random part is incremented instead of drawn again, so ids
    made in quick succession (an action and its audit event, say) still sort by creation.
    """
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis:
            millis, rand = last_millis, last_random + 1
            if rand >> _RANDOM_BITS:
                millis, rand = millis + 1, int.from_bytes(os.urandom(10), "big") >> 6
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 6
        _last = (millis, rand)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 62) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b: 62 bits
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
