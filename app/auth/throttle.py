"""Slowing, then refusing for a while, repeated failed staff sign-ins.

Failures are counted per account (the email signed in with) and per client address, in Redis,
so that every API process sees the same counts. After `slow_after` failures each further one
makes the next attempt wait twice as long; after `lock_after` attempts are refused for
`lock_seconds`. Counts are forgotten `window_seconds` after the first failure, and a success
clears the account's count, so a burst of wrong passwords never locks the right one out for
good. Keys hold a keyed digest: neither the email nor the address is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.jobs import bound_queue

logger = logging.getLogger("app.auth")

_PREFIX = "loyalty:login-throttle"


class ThrottleScope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Limits:
    slow_after: int
    lock_after: int


@dataclass(frozen=True)
class ThrottlePolicy:
    account: Limits = Limits(slow_after=5, lock_after=10)
    # Higher: many people can share one address (an office, a carrier's NAT).
    address: Limits = Limits(slow_after=20, lock_after=50)
    first_delay_seconds: float = 1.0
    lock_seconds: float = 15 * 60
    window_seconds: float = 60 * 60

    def limits(self, scope: ThrottleScope) -> Limits:
        return self.account if scope is ThrottleScope.ACCOUNT else self.address

    def delay(self, scope: ThrottleScope, failures: int) -> float:
        """How long the next attempt waits after `failures` failures in the window."""
        limits = self.limits(scope)
        if failures < limits.slow_after:
            return 0.0
        if failures >= limits.lock_after:
            return self.lock_seconds
        return min(
            self.first_delay_seconds * 2.0 ** (failures - limits.slow_after), self.lock_seconds
        )


@dataclass(frozen=True)
class Penalty:
    """A failure that started or lengthened a wait; `locked` once attempts are refused;
    `stage_began` on the failure that started the slowing or the refusals."""

    scope: ThrottleScope
    failures: int
    wait_seconds: float
    locked: bool
    stage_began: bool


class LoginThrottle:
    def __init__(self, redis: Redis, secret_key: str, policy: ThrottlePolicy | None = None) -> None:
        self._redis = redis
        self._key = secret_key.encode()
        self.policy = policy or ThrottlePolicy()

    def _digest(self, scope: ThrottleScope, value: str) -> str:
        mac = hmac.new(self._key, f"{scope.value}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def _keys(self, account: str, address: str | None) -> list[tuple[ThrottleScope, str]]:
        keys = [(ThrottleScope.ACCOUNT, self._digest(ThrottleScope.ACCOUNT, account))]
        if address:
            keys.append((ThrottleScope.ADDRESS, self._digest(ThrottleScope.ADDRESS, address)))
        return keys

    async def retry_after(self, account: str, address: str | None) -> float:
        """Seconds before an attempt is accepted (0: now). Redis down: never blocks sign-in."""
        try:
            waits = [
                await self._redis.pttl(f"{_PREFIX}:wait:{digest}")
                for _, digest in self._keys(account, address)
            ]
        except (RedisError, OSError):
            logger.warning("login throttle unavailable: Redis did not answer")
            return 0.0
        return max([w / 1000 for w in waits if w > 0], default=0.0)

    async def failed(self, account: str, address: str | None) -> list[Penalty]:
        penalties: list[Penalty] = []
        try:
            for scope, digest in self._keys(account, address):
                counter = f"{_PREFIX}:fail:{digest}"
                async with self._redis.pipeline(transaction=True) as pipe:
                    # The window starts at the first failure (EXPIRE NX needs Redis 7).
                    pipe.set(counter, 0, px=int(self.policy.window_seconds * 1000), nx=True)
                    pipe.incr(counter)
                    failures = int((await pipe.execute())[1])
                wait = self.policy.delay(scope, failures)
                if wait > 0:
                    await self._redis.set(f"{_PREFIX}:wait:{digest}", 1, px=int(wait * 1000))
                    limits = self.policy.limits(scope)
                    penalties.append(
                        Penalty(
                            scope,
                            failures,
                            wait,
                            locked=failures >= limits.lock_after,
                            stage_began=failures in (limits.slow_after, limits.lock_after),
                        )
                    )
        except (RedisError, OSError):
            logger.warning("login throttle unavailable: Redis did not answer")
        return penalties

    async def succeeded(self, account: str) -> None:
        digest = self._digest(ThrottleScope.ACCOUNT, account)
        try:
            await self._redis.delete(f"{_PREFIX}:fail:{digest}", f"{_PREFIX}:wait:{digest}")
        except (RedisError, OSError):
            logger.warning("login throttle unavailable: Redis did not answer")


def bound_throttle(secret_key: str) -> LoginThrottle | None:
    """The throttle over the Redis the entry point bound for this task (see
    `app.core.jobs.bind_queue`): the same server that takes its jobs. None when no Redis is
    bound (a CLI without one), and then sign-in is not throttled."""
    redis = bound_queue()
    return LoginThrottle(redis, secret_key) if redis is not None else None
