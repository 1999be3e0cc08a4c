"""How often codes may be asked for and tried, counted in Redis.

Fixed windows per organization: code requests per identifier (so nobody floods one person's
phone) and per client address (so one client cannot spray codes at many people, the "SMS
pumping" fraud), and code checks per client address (guessing across many identifiers, on top
of the five attempts each code allows). Keys hold a keyed digest: neither the identifier nor
the address is stored in Redis. When Redis does not answer, requests are refused: a code sent
without a limit costs money and lets someone be flooded.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.identifiers import keyed_hash

logger = logging.getLogger("app.privacy")

_PREFIX = "loyalty:verify"


class LimitScope(StrEnum):
    START_IDENTIFIER = "start-identifier"
    START_ADDRESS = "start-address"
    CHECK_ADDRESS = "check-address"


@dataclass(frozen=True)
class Limit:
    count: int
    window_seconds: int


@dataclass(frozen=True)
class VerificationLimits:
    start_identifier: Limit = Limit(5, 3600)
    # Higher: many shoppers can share an address (a store's Wi-Fi, a carrier's NAT).
    start_address: Limit = Limit(20, 3600)
    check_address: Limit = Limit(50, 3600)

    def of(self, scope: LimitScope) -> Limit:
        return {
            LimitScope.START_IDENTIFIER: self.start_identifier,
            LimitScope.START_ADDRESS: self.start_address,
            LimitScope.CHECK_ADDRESS: self.check_address,
        }[scope]


class LimiterUnavailable(Exception):
    """Redis did not answer: the caller refuses rather than sends unlimited codes."""


class VerificationLimiter:
    def __init__(self, redis: Redis, secret_key: str, limits: VerificationLimits | None = None):
        self._redis = redis
        self._secret_key = secret_key
        self.limits = limits or VerificationLimits()

    def _key(self, organization_id: uuid.UUID, scope: LimitScope, value: str) -> str:
        digest = keyed_hash(self._secret_key, f"verify-limit:{scope.value}", value)[:32]
        return f"{_PREFIX}:{organization_id}:{scope.value}:{digest}"

    async def hit(self, organization_id: uuid.UUID, scope: LimitScope, value: str) -> int:
        """Count one request; 0 when allowed, else the seconds until the window ends."""
        limit = self.limits.of(scope)
        key = self._key(organization_id, scope, value)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                # The window starts at the first request (EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=limit.window_seconds, nx=True)
                pipe.incr(key)
                pipe.ttl(key)
                _, count, ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("verification limiter unavailable: %s", type(exc).__name__)
            raise LimiterUnavailable from exc
        if int(count) <= limit.count:
            return 0
        return max(1, int(ttl))
