"""Job metrics: each arq job function wrapped to count runs by kind and outcome and time them.

The kind is the arq function name, a fixed set registered by workers.settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from functools import wraps
from typing import Any

from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, Retry, RetryJob, func

from app.metrics.registry import JOB_DURATION, JOBS, JOBS_RUNNING


def _timed(kind: str, coroutine: WorkerCoroutine) -> WorkerCoroutine:
    @wraps(coroutine)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        outcome = "failure"
        running = JOBS_RUNNING.labels(kind)
        running.inc()
        started = time.perf_counter()
        try:
            result = await coroutine(ctx, *args, **kwargs)
            outcome = "success"
            return result
        except (Retry, RetryJob):
            outcome = "retry"
            raise
        except asyncio.CancelledError:
            # A timeout, an abort or the worker shutting down: arq runs it again or fails it.
            outcome = "cancelled"
            raise
        finally:
            running.dec()
            JOB_DURATION.labels(kind).observe(time.perf_counter() - started)
            JOBS.labels(kind, outcome).inc()

    return run


def instrument_functions(functions: Sequence[Function | WorkerCoroutine]) -> list[Function]:
    """arq functions (plain coroutines or `func(...)`) whose runs are measured."""
    instrumented = []
    for function in functions:
        spec = function if isinstance(function, Function) else func(function)
        instrumented.append(dataclasses.replace(spec, coroutine=_timed(spec.name, spec.coroutine)))
    return instrumented


def instrument_cron_jobs(jobs: Sequence[CronJob]) -> list[CronJob]:
    return [dataclasses.replace(job, coroutine=_timed(job.name, job.coroutine)) for job in jobs]
