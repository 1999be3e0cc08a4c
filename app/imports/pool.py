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
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, cast

from app.imports.csvfile import Record
from app.imports.rows import CustomerRow, RowResult, ValidatorConfig, validate_batch

logger = logging.getLogger("app.imports")

# Records per task sent to a validation process.
CHUNK = 2500

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _start_child(owner_pid: int) -> None:
    """In each validation process: follow the owner to its death, then import the validation
    code before the first batch arrives."""
    _exit_with(owner_pid)
    import app.imports.rows  # noqa: F401


def _exit_with(owner_pid: int) -> None:
    """Exit as soon as the process that owns the pool is gone, however it died.

    A SIGKILLed worker runs no clean-up, and a child never sees its task queue close (it holds
    a write end of it itself), so without this it waits forever, and keeps alive the forkserver
    and the resource tracker, whose pipes it holds too. A pidfd becomes readable when the
    process exits and cannot be fooled by a reused pid; polling is the fallback elsewhere.
    """
    try:
        fd = os.pidfd_open(owner_pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        fd = None

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:
            while _alive(owner_pid):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="owner-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def get_pool(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is not None and _pool_size == size:
        return _pool
    shutdown_pool()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.imports.rows"])
    _pool = ProcessPoolExecutor(
        max_workers=size,
        mp_context=context,
        initializer=_start_child,
        initargs=(os.getpid(),),
    )
    _pool_size = size
    return _pool


def shutdown_pool() -> None:
    global _pool, _pool_size
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None
    _pool_size = 0


# What crosses between processes is plain tuples: pickle handles them natively, where a
# dataclass or NamedTuple costs a Python call per row each way (measured: records 7x, results
# 3x cheaper to pickle; the worker's share of the import's CPU fell by a third).
_WireRecord = tuple[int, list[str] | None, str | None]


def _to_wire(batch: list[Record]) -> list[_WireRecord]:
    return [(r.index, r.cells, r.problem) for r in batch]


def _validate_wire(config: ValidatorConfig, chunk: list[_WireRecord]) -> list[Any]:
    """In a validation process: a chunk of records in, results out (a valid customer row as
    a plain tuple)."""
    results = validate_batch(config, [Record(*r) for r in chunk])
    return [tuple(r) if type(r) is CustomerRow else r for r in results]


def _from_wire(result: Any) -> RowResult:
    if type(result) is tuple:
        return tuple.__new__(CustomerRow, result)
    return cast(RowResult, result)


async def _joined(parts: list[asyncio.Future[list[Any]]]) -> list[RowResult]:
    try:
        chunks = await asyncio.gather(*parts)
    except BaseException:
        for part in parts:
            part.cancel()
        raise
    return [_from_wire(result) for chunk in chunks for result in chunk]


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
        # In chunks: every process gets a share of each batch, and what one holds at a time
        # (the records, their results, both pickled) stays a few MB.
        pool = get_pool(self.workers)
        parts = [
            asyncio.wrap_future(
                pool.submit(_validate_wire, self.config, _to_wire(batch[i : i + CHUNK]))
            )
            for i in range(0, len(batch), CHUNK)
        ]
        return asyncio.ensure_future(_joined(parts))

    async def run(self, batch: list[Record]) -> list[RowResult]:
        """One batch, falling back to inline validation when the pool broke (a child killed)."""
        try:
            return await self.submit(batch)
        except BrokenProcessPool:
            logger.warning("validation pool broke; validating inline and restarting it")
            shutdown_pool()
            return validate_batch(self.config, batch)
