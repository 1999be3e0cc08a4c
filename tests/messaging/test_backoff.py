from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.messaging.backoff import CAP_SECONDS, retry_delay


@given(attempt=st.integers(1, 200), draw=st.floats(0, 1, exclude_max=True))
def test_the_delay_is_between_half_and_all_of_the_capped_exponential(
    attempt: int, draw: float
) -> None:
    ceiling = min(CAP_SECONDS, 5.0 * 2 ** min(attempt - 1, 32))
    delay = retry_delay(attempt, uniform=lambda: draw)
    assert ceiling / 2 <= delay <= ceiling


def test_the_delay_grows_with_the_attempt() -> None:
    fixed = [retry_delay(n, uniform=lambda: 0.0) for n in range(1, 12)]
    assert fixed == sorted(fixed)
    assert fixed[0] == 2.5
    assert fixed[-1] == CAP_SECONDS / 2


@given(attempt=st.integers(1, 50), retry_after=st.floats(0, 10_000))
def test_never_sooner_than_the_provider_asked(attempt: int, retry_after: float) -> None:
    assert retry_delay(attempt, retry_after) >= retry_after


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0)
