"""An arq worker that outlives a Redis outage.

arq's poll loop lets a lost connection escape and the worker ends for good, idle or busy. Here
a poll that fails on the connection is logged, waited out with a growing pause, and tried again;
redis-py opens fresh connections on the next command once the server answers. Jobs in flight
keep running meanwhile; one whose result could not be written is run again after its
in-progress key expires, which every job here allows (job intent lives in the database).
"""

from __future__ import annotations

import asyncio
import logging

from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("workers")

LOST_CONNECTION = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


def reconnect_delay(failures: int, first: float = 0.25, longest: float = 10.0) -> float:
    """The pause after the `failures`-th failed poll in a row: doubling, capped."""
    return float(min(first * 2.0 ** max(failures - 1, 0), longest))


class ReconnectingWorker(Worker):
    _failed_polls = 0

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except LOST_CONNECTION as exc:
            self._failed_polls += 1
            delay = reconnect_delay(self._failed_polls)
            if self._failed_polls == 1:
                logger.warning("lost Redis (%s); retrying with backoff", type(exc).__name__)
            await asyncio.sleep(delay)
            return
        if self._failed_polls:
            logger.warning("Redis is back after %d failed polls", self._failed_polls)
            self._failed_polls = 0
