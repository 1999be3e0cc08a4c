"""`loyalty worker` as a real process of its own, for tests that kill it or run two at once."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

from app.config import Settings
from tests.processes import clean_environment, loyalty_command


def start_worker(
    settings: Settings,
    redis_url: str,
    *,
    burst: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A worker on the test's database and Redis; `env` adds settings (LOYALTY_SMS_PROVIDER...).

    Its output goes to a file in the data directory (`worker_log`), not a pipe nobody reads.
    """
    log = _log_path(settings)
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - this project's own command
            [*loyalty_command(), "worker", *(["--burst"] if burst else [])],
            env=clean_environment(
                DATABASE_URL=settings.database_url,
                REDIS_URL=redis_url,
                LOYALTY_SECRET_KEY=settings.secret_key,
                LOYALTY_DATA_DIR=str(settings.data_dir),
                LOYALTY_LOG_LEVEL="WARNING",
                **(env or {}),
            ),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    _logs[process.pid] = log
    return process


_counter = itertools.count()
_logs: dict[int, Path] = {}


def _log_path(settings: Settings) -> Path:
    return settings.data_dir / f"worker-{next(_counter)}.log"


def worker_log(process: subprocess.Popen[bytes]) -> str:
    """The last of what the worker printed, for a failing assertion's message."""
    return _logs[process.pid].read_text(errors="replace")[-3000:]


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker if it still runs (tests that want a clean stop wait for it first)."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
