"""How long to wait before retrying a text the provider could not take yet (429, 5xx)."""

from __future__ import annotations

import random
from collections.abc import Callable

BASE_SECONDS = 5.0
CAP_SECONDS = 15 * 60.0


def retry_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
    uniform: Callable[[], float] = random.random,
) -> float:
    """Seconds before retry number `attempt` (1 for the first retry).

    Exponential, capped, with "equal jitter" (half fixed, half random) so a burst of
    throttled texts does not come back as one burst; never shorter than the provider's
    own Retry-After.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = min(cap, base * float(2 ** min(attempt - 1, 32)))
    delay = ceiling / 2 + uniform() * ceiling / 2
    return max(delay, retry_after or 0.0)
