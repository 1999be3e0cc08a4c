"""A per-credential limit on identifier status checks, counted in Redis.

Every API process sees the same count. A window of `window_seconds` starts at a credential's
first check; past `limit` checks in it, further ones are refused until it ends. Keys name the
credential (staff or API key id), never an identifier. When Redis does not answer the check
is allowed and a warning logged, as sign-in throttling does: support keeps working.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("app.privacy")

_PREFIX = "loyalty:identifier-status"


@dataclass(frozen=True)
class StatusCheckPolicy:
    limit: int = 30
    window_seconds: int = 60


class StatusCheckLimiter:
    def __init__(self, redis: Redis, policy: StatusCheckPolicy | None = None) -> None:
        self._redis = redis
        self.policy = policy or StatusCheckPolicy()

    async def retry_after(self, credential: uuid.UUID) -> int:
        """Count one check; 0 when it is allowed, else the seconds until the window ends."""
        key = f"{_PREFIX}:{credential}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=self.policy.window_seconds, nx=True)
                pipe.incr(key)
                pipe.ttl(key)
                _, count, ttl = await pipe.execute()
        except (RedisError, OSError):
            logger.warning("identifier status limit unavailable: Redis did not answer")
            return 0
        if int(count) <= self.policy.limit:
            return 0
        return max(1, int(ttl))
