"""One place that says what time it is, so tests and jobs agree on UTC.

Both clocks (wall time for rows, monotonic time for in-process caches) read from here, so a
test can move time forward (`advanced`) instead of sleeping until a TTL runs out.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

# How far tests have moved time forward; zero outside `advanced`.
_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def monotonic() -> float:
    """Seconds of a clock that never goes back, for expiring cache entries."""
    return time.monotonic() + _offset.total_seconds()


@contextlib.contextmanager
def advanced(by: timedelta) -> Iterator[None]:
    """For tests: both clocks read `by` later inside the block (blocks nest and add up)."""
    global _offset
    previous = _offset
    _offset = previous + by
    try:
        yield
    finally:
        _offset = previous
