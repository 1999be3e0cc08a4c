"""Queue depth, read from Redis when scraped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import redis
from arq.constants import default_queue_name
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class QueueDepthCollector(Collector):
    """`loyalty_queue_depth{queue}`: jobs waiting in arq's queue (a sorted set), due or
    deferred. Scrapes run in a thread (see app.metrics.endpoint), so a blocking client with
    a short timeout is used; when Redis does not answer the series is left out."""

    def __init__(self, redis_url: str, queues: Iterable[str] = (default_queue_name,)) -> None:
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
        )
        self.queues = tuple(queues)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "loyalty_queue_depth", "Jobs waiting in the queue, due or deferred.", labels=("queue",)
        )
        try:
            for queue in self.queues:
                family.add_metric((queue,), float(cast(int, self.client.zcard(queue))))
        except (redis.RedisError, OSError):
            return
        yield family

    def close(self) -> None:
        self.client.close()
