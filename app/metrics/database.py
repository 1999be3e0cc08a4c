"""Database pool use, read from the pool when scraped (nothing is counted per query)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from tortoise import connections


class _Pool(Protocol):
    """What is read of asyncpg's Pool."""

    def get_size(self) -> int: ...
    def get_idle_size(self) -> int: ...
    def get_max_size(self) -> int: ...


class DatabasePoolCollector(Collector):
    """`loyalty_db_pool_connections{state}`: open, idle and maximum connections of the
    PostgreSQL pool of this process. SQLite has no pool: nothing is reported."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        pool = _pool()
        if pool is None:
            return
        family = GaugeMetricFamily(
            "loyalty_db_pool_connections",
            "Connections of this process's database pool: open, idle (open and free) and max.",
            labels=("state",),
        )
        family.add_metric(("open",), pool.get_size())
        family.add_metric(("idle",), pool.get_idle_size())
        family.add_metric(("max",), pool.get_max_size())
        yield family


def _pool() -> _Pool | None:
    try:
        client = connections.get("default")
    except Exception:  # no database opened in this process (yet)
        return None
    pool = getattr(client, "_pool", None)
    # asyncpg's Pool; tortoise keeps it private, so check for what is read.
    if pool is None or not all(
        hasattr(pool, name) for name in ("get_size", "get_idle_size", "get_max_size")
    ):
        return None
    return cast(_Pool, pool)
