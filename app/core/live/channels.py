"""Progress messages through Redis pub/sub.

Publishing uses the Redis bound to the task (`app.core.jobs.bind_queue`: the worker's, or the
API's for a request), and never fails the caller: pub/sub delivers at most once anyway, so a
subscriber re-reads the database when it has heard nothing for a while (`follow`). A message is
a small JSON object chosen by the domain that publishes it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from app.core.jobs import bound_queue

logger = logging.getLogger("app.live")

PREFIX = "loyalty:live:"


def channel(kind: str, organization_id: uuid.UUID, object_id: uuid.UUID) -> str:
    """`loyalty:live:<kind>:<organization>:<object>`: ids only."""
    return f"{PREFIX}{kind}:{organization_id}:{object_id}"


async def publish(name: str, message: Mapping[str, Any]) -> None:
    redis = bound_queue()
    if redis is None:
        return
    try:
        await redis.publish(name, json.dumps(message, separators=(",", ":")))
    except (RedisError, OSError):
        # Subscribers catch up from the database within their re-check interval.
        logger.warning("could not publish live progress")


class Listener:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, wait_seconds: float) -> dict[str, Any] | None:
        """The next message, or None when `wait_seconds` pass without one."""
        deadline = time.monotonic() + wait_seconds
        while (left := deadline - time.monotonic()) > 0:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is None or message.get("type") != "message":
                continue
            try:
                decoded = json.loads(message["data"])
            except (ValueError, TypeError):
                continue
            if isinstance(decoded, dict):
                return decoded
        return None


@asynccontextmanager
async def listening(name: str) -> AsyncIterator[Listener]:
    """Subscribed to channel `name` for the length of the block (one Redis connection)."""
    redis = bound_queue()
    if redis is None:
        raise RuntimeError("live progress needs a Redis bound to the task")
    pubsub = redis.pubsub()
    await pubsub.subscribe(name)
    try:
        yield Listener(pubsub)
    finally:
        try:
            await pubsub.unsubscribe(name)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
