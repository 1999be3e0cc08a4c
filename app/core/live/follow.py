"""The loop behind every live subscription: the state now, then each change, until the end.

Subscribe first, then read the state from the database, so nothing published in between is
missed. After that each message the workers publish is a new state; when none arrives for
`recheck_seconds` the state is read from the database again (pub/sub delivers at most once,
and a job can end without its worker, e.g. by its reconcile loop). The slot's lease is renewed
every `recheck_seconds` whatever arrives. A message older than what was already sent (published
before the database read but delivered after it) is dropped by the state's `order()` key;
database reads always count.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from app.core.live.channels import listening
from app.core.live.slots import held_slot


class Progress(Protocol):
    """What a followed state tells: whether the job has ended, and how far it is."""

    @property
    def ended(self) -> bool: ...

    def order(self) -> tuple[int, ...]:
        """Progress only moves forward: a message below the last sent state is stale."""
        ...


State = TypeVar("State", bound=Progress)


@dataclass(frozen=True)
class LiveLimits:
    max_per_holder: int = 5
    recheck_seconds: float = 5.0

    @property
    def lease_seconds(self) -> float:
        # Renewed every re-check: three missed renewals and the slot is free again.
        return 3 * self.recheck_seconds


@dataclass(frozen=True)
class Feed(Generic[State]):
    """How one kind of job is followed."""

    channel: str
    # The state as the database has it now.
    read: Callable[[], Awaitable[State]]
    # A published message as a state; None for a message that is not one.
    parse: Callable[[dict[str, Any]], State | None]


async def follow(holder: str, feed: Feed[State], limits: LiveLimits) -> AsyncGenerator[State, None]:
    async with (
        held_slot(holder, limits.max_per_holder, limits.lease_seconds) as slot,
        listening(feed.channel) as listener,
    ):
        current = await feed.read()
        yield current
        renewed = time.monotonic()
        while not current.ended:
            message = await listener.next(limits.recheck_seconds)
            if time.monotonic() - renewed >= limits.recheck_seconds:
                # By the clock, not only when idle: a busy job's messages never time out.
                await slot.renew()
                renewed = time.monotonic()
            if message is None:
                latest = await feed.read()
            else:
                parsed = feed.parse(message)
                if parsed is None or parsed.order() < current.order():
                    continue
                latest = parsed
            if latest != current:
                current = latest
                yield current
