"""At most N live subscriptions open at once per credential holder, across every API process.

Each open subscription holds a slot: a member of a Redis sorted set per holder, scored with
the time its lease runs out. The subscription renews its lease at every re-check; a process
that dies without releasing its slots frees them when their leases run out. Taking a slot drops
the expired ones and counts the rest in one script, so two processes cannot both take the last.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq.connections import ArqRedis

from app.core.errors import DomainError
from app.core.jobs import bound_queue
from app.core.live.errors import LiveErrorCode

PREFIX = "loyalty:live:slots:"

# KEYS[1] the holder's set; ARGV: limit, lease (ms), member. Redis's own clock, so API hosts
# with skewed clocks agree.
_TAKE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

_RENEW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', ms + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


class Slot:
    def __init__(self, redis: ArqRedis, key: str, member: str, lease_ms: int) -> None:
        self._redis = redis
        self._key = key
        self._member = member
        self._lease_ms = lease_ms

    async def renew(self) -> None:
        await self._redis.eval(_RENEW, 1, self._key, str(self._lease_ms), self._member)  # type: ignore[misc]

    async def release(self) -> None:
        await self._redis.zrem(self._key, self._member)


async def open_count(holder: str) -> int:
    """Slots held now (expired leases excluded): for tests and operations."""
    redis = bound_queue()
    assert redis is not None
    key = PREFIX + holder
    await redis.zremrangebyscore(key, "-inf", (await redis.time())[0] * 1000)
    return int(await redis.zcard(key))


@asynccontextmanager
async def held_slot(holder: str, limit: int, lease_seconds: float) -> AsyncIterator[Slot]:
    """A slot of `holder` for the length of the block; a typed refusal when all are taken."""
    redis = bound_queue()
    if redis is None:
        raise RuntimeError("live subscriptions need a Redis bound to the task")
    key = PREFIX + holder
    member = secrets.token_hex(8)
    lease_ms = max(1000, int(lease_seconds * 1000))
    taken = await redis.eval(_TAKE, 1, key, str(limit), str(lease_ms), member)  # type: ignore[misc]
    if not taken:
        raise DomainError(
            LiveErrorCode.TOO_MANY_SUBSCRIPTIONS,
            f"At most {limit} live subscriptions may be open at once per credential;"
            " close one before opening another.",
        )
    slot = Slot(redis, key, member, lease_ms)
    try:
        yield slot
    finally:
        await slot.release()
