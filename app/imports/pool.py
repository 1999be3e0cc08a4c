"""Processes that validate rows, so normalization (phonenumbers, email-validator) uses every core.

One pool per process, created on first use and kept for later jobs (starting processes costs a
second); `forkserver` children start from a clean interpreter that has imported the validation
code once, never from a copy of a process holding database connections and threads.
A small file is validated inline: the pool only pays off past a few thousand rows.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from app.imports.csvfile import Record
from app.imports.rows import RowResult, ValidatorConfig, validate_batch

logger = logging.getLogger("app.imports")

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _warm() -> None:
    """Import the validation code in each child before the first batch arrives."""
    import app.imports.rows  # noqa: F401


def get_pool(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is not None and _pool_size == size:
        return _pool
    shutdown_pool()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.imports.rows"])
    _pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_warm)
    _pool_size = size
    return _pool


def shutdown_pool() -> None:
    global _pool, _pool_size
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None
    _pool_size = 0


class Validator:
    """Validates batches inline or in the pool; `submit` returns an awaitable result."""

    def __init__(self, config: ValidatorConfig, workers: int) -> None:
        self.config = config
        self.workers = workers

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def submit(self, batch: list[Record]) -> asyncio.Future[list[RowResult]]:
        loop = asyncio.get_running_loop()
        if not self.parallel:
            future: asyncio.Future[list[RowResult]] = loop.create_future()
            future.set_result(validate_batch(self.config, batch))
            return future
        return asyncio.wrap_future(
            get_pool(self.workers).submit(validate_batch, self.config, batch), loop=loop
        )

    async def run(self, batch: list[Record]) -> list[RowResult]:
        """One batch, falling back to inline validation when the pool broke (a child killed)."""
        try:
            return await self.submit(batch)
        except BrokenProcessPool:
            logger.warning("validation pool broke; validating inline and restarting it")
            shutdown_pool()
            return validate_batch(self.config, batch)
