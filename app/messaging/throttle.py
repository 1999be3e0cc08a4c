"""How fast an organization's texts may leave: at most `rate_per_second` in any second.

Carriers and providers cap a sender's messages per second, and a 100,000-customer import
would otherwise hand them all over at once. The limit holds across every worker process, so
it lives in Redis, in one script per decision (two workers cannot both take the last place):

- a **log** of the sends granted in the last second (a sorted set scored with Redis's clock
  in microseconds): a send is granted only while it holds fewer than `rate` entries, so any
  one-second window holds at most `rate` sends (`sent_at` records the granted instant);
- a **schedule** for the texts that must wait: each is given its own place, `1/rate` seconds
  after the previous one (a hash, message -> place, plus the next free place), so a backlog
  wakes up spread over time instead of all retrying at once. A text whose place has come
  goes ahead of texts that arrive later; one that arrives with no backlog goes at once.

A text that must wait is not failed and not sent: the sender moves its row's `next_attempt_at`
to the place and defers its job to then (`app.messaging.sender`). The script uses Redis's
clock, so workers with skewed clocks agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

PREFIX = "loyalty:sms-rate:"

# KEYS[1] the log, KEYS[2] the schedule; ARGV: rate, member. Returns {granted (0/1), µs}:
# the instant granted, or the place to come back at.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local second = 1000000
local rate = tonumber(ARGV[1])
local member = ARGV[2]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - second)
local used = redis.call('ZCARD', KEYS[1])
local place = tonumber(redis.call('HGET', KEYS[2], member) or '')
local next_free = tonumber(redis.call('HGET', KEYS[2], '~next') or '0')
local my_turn = (place ~= nil and place <= now) or (place == nil and next_free <= now)
if used < rate and my_turn then
  redis.call('ZADD', KEYS[1], now, member .. ':' .. t[1] .. '.' .. t[2])
  redis.call('PEXPIRE', KEYS[1], 2000)
  if place ~= nil then
    redis.call('HDEL', KEYS[2], member)
  end
  return {1, now}
end
local opens = now
if used >= rate then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  opens = tonumber(oldest[2]) + second
end
if place == nil then
  place = math.max(next_free, opens)
  redis.call('HSET', KEYS[2], '~next', place + math.floor(second / rate))
elseif place <= now then
  -- Its turn came but late wake-ups filled the window: it keeps its place in the line.
  place = opens
end
redis.call('HSET', KEYS[2], member, place)
redis.call('PEXPIRE', KEYS[2], math.floor((place - now) / 1000) + 3600000)
return {0, place}
"""


@dataclass(frozen=True)
class Granted:
    """Send now; `at` is the instant counted against the rate."""

    at: dt.datetime


@dataclass(frozen=True)
class Wait:
    """Not before `until`: the text's place in its organization's line."""

    until: dt.datetime


def rate_from_settings(settings: Any) -> int:
    """`settings["sms"]["rate_per_second"]` as a rate; 0 (unthrottled) when absent or bad."""
    sms = settings.get("sms") if isinstance(settings, dict) else None
    rate = sms.get("rate_per_second") if isinstance(sms, dict) else None
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 0:
        return 0
    return rate


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _instant(microseconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=microseconds)


async def acquire(
    redis: Redis, organization_id: uuid.UUID, rate: int, message_id: uuid.UUID
) -> Granted | Wait:
    """May this text of the organization leave now, at `rate` texts per second?"""
    if rate <= 0:
        raise ValueError("an unthrottled organization needs no place")
    keys = (f"{PREFIX}{organization_id}:log", f"{PREFIX}{organization_id}:line")
    answer = await redis.eval(_ACQUIRE, 2, *keys, str(rate), str(message_id))  # type: ignore[misc]
    granted, microseconds = (int(value) for value in answer)
    if granted:
        return Granted(_instant(microseconds))
    return Wait(_instant(microseconds))
