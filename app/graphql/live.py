"""What every live progress subscription shares: its limits and the turn from a service's
stream into payloads (a refusal is one payload with `errors`, then the end)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import TypeVar

from app.core.errors import DomainError
from app.core.live.follow import LiveLimits
from app.graphql.context import Info

Item = TypeVar("Item")
PayloadT = TypeVar("PayloadT")


def live_limits(info: Info) -> LiveLimits:
    settings = info.context.settings
    return LiveLimits(
        max_per_holder=settings.max_subscriptions_per_credential,
        recheck_seconds=settings.subscription_recheck_seconds,
    )


async def payloads(
    stream: AsyncGenerator[Item, None],
    build: Callable[[Item], PayloadT],
    failed: Callable[[DomainError], PayloadT],
) -> AsyncGenerator[PayloadT, None]:
    # aclosing: when the client stops (or the connection closes), the service's stream is
    # closed at once, which gives back its Redis connection and its subscription slot.
    try:
        async with aclosing(stream) as items:
            async for item in items:
                yield build(item)
    except DomainError as exc:
        yield failed(exc)
