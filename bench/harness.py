"""What every HTTP benchmark here shares: servers on free ports, a load driver, fair figures.

Fairness on a shared machine: load from other work comes and goes, so a benchmark alternates
the service and its raw baseline within every round (the order flips each round) and reports
the median of the per-round ratios. A ratio of medians taken from different rounds would pair
a quiet round of one side with a busy round of the other.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A port the kernel has just given out, for a server that takes a port number."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as handle:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def service_env(database_url: str, redis_url: str, work: Path) -> dict[str, str]:
    """The environment of a `loyalty api` under test: production settings, its own data."""
    env = dict(os.environ)
    env.update(
        {
            "LOYALTY_ENV": "production",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SECRET_KEY": secrets.token_urlsafe(48),
            "LOYALTY_BLOCKLIST_KEY": "1:" + secrets.token_urlsafe(48),
            "LOYALTY_DATA_DIR": str(work / "data"),
            "LOYALTY_LOG_LEVEL": "WARNING",
        }
    )
    return env


def uvicorn_command(app: str, port: int) -> list[str]:
    """A bare baseline app served like the service: one uvicorn process, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


# --- databases --------------------------------------------------------------------------------


async def ensure_database(url: str, reseed: bool) -> None:
    """Create the benchmark's PostgreSQL database when missing (dropped first with `reseed`)."""
    import asyncpg

    base, name = url.rsplit("/", 1)
    admin = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and reseed:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LC_COLLATE "C"')
    finally:
        await admin.close()


async def seeded_organization(
    name: str, customers: int, orders_per_customer: float, seed: int, now: Any
) -> Any:
    """The id of organization `name` holding `customers` seeded customers (`app.seed`, with
    histories ending at `now`, no segments recompute); a rerun tops it up, a bigger one is
    refused (use --reseed)."""
    from app.models.customer import Customer
    from app.models.organization import Organization
    from app.seed.writer import seed_organization

    org = await Organization.get_or_none(name=name)
    if org is None:
        org = await Organization.create(name=name)
    have = await Customer.filter(organization_id=org.id).count()
    if have > customers:
        raise SystemExit(f"the bench organization has {have} customers: use --reseed")
    if have < customers:
        started = time.perf_counter()
        summary = await seed_organization(
            org.id, customers - have, orders_per_customer, seed, now=now, segments=False
        )
        log(
            f"seeded {summary.customers:,} customers, {summary.orders:,} orders"
            f" in {time.perf_counter() - started:.0f} s"
        )
    return org.id


def seeding_options(parser: Any, *, customers: int, database_url: str) -> None:
    """The options of a benchmark that seeds an organization into its own database."""
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--orders-per-customer", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", database_url)
    )
    parser.add_argument("--reseed", action="store_true", help="drop the database first")


# --- rounds and ratios ------------------------------------------------------------------------


def round_order(round_number: int, sides: tuple[T, T]) -> tuple[T, T]:
    """Both sides in every round, the first one first in odd rounds and second in even ones."""
    return sides if round_number % 2 else (sides[1], sides[0])


def median_ratio(pairs: list[tuple[float, float]]) -> float:
    """The median of ours / baseline, each pair measured in the same round."""
    return statistics.median(ours / baseline for ours, baseline in pairs if baseline)


def ratio_range(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    ratios = [ours / baseline for ours, baseline in pairs if baseline]
    return min(ratios), max(ratios)


# --- load -------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(share * len(sorted_values)))
    return sorted_values[index]


async def _connection(
    port: int,
    requests: Callable[[], Iterator[bytes]],
    until: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    """One keep-alive connection sending requests back to back until `until`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests():
            if time.perf_counter() >= until:
                return
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


def drive(
    port: int, requests: Callable[[], Iterator[bytes]], duration: float, connections: int
) -> Run:
    """Closed-loop load from this process: `connections` keep-alive connections, each sending
    its next request as soon as the answer to the last one is in. Cheap enough (raw sockets,
    requests prepared up front) to leave most of the CPU to the server; it takes its share
    of the cores for both sides alike."""
    latencies: list[float] = []
    errors = [0]

    async def main() -> float:
        started = time.perf_counter()
        until = started + duration
        await asyncio.gather(
            *(_connection(port, requests, until, latencies, errors) for _ in range(connections))
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    ordered = sorted(latencies)
    return Run(
        rps=len(latencies) / elapsed,
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p99_ms=_percentile(ordered, 0.99) * 1000,
        errors=errors[0],
    )


def graphql_requests(port: int, token: str, bodies: list[bytes]) -> Callable[[], Iterator[bytes]]:
    """Prepared POSTs of /graphql for `drive`; each connection cycles from a random start, so
    the connections do not ask for the same rows in step."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    prepared = [http_post("/graphql", port, body, headers) for body in bodies]

    def cycle() -> Iterator[bytes]:
        return itertools.islice(itertools.cycle(prepared), random.randrange(len(prepared)), None)

    return cycle


def median_run(runs: list[Run]) -> Run:
    return Run(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
    )


def print_summary(title: str, runs: dict[str, list[Run]], ours: str, baseline: str) -> float:
    """The table of medians and the median of per-round ratios (returned)."""
    pairs = [(o.rps, b.rps) for o, b in zip(runs[ours], runs[baseline], strict=True)]
    ratio = median_ratio(pairs)
    low, high = ratio_range(pairs)
    print()
    print(title)
    print(f"{'':10s} {'req/s':>10s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}  (medians)")
    for name in (ours, baseline):
        run = median_run(runs[name])
        print(f"{name:10s} {run.rps:10.0f} {run.p50_ms:8.2f} {run.p99_ms:8.2f} {run.errors:7d}")
    print(
        f"ratio {ours}/{baseline}: median of per-round ratios {ratio:.2f}"
        f" (rounds {low:.2f}-{high:.2f})"
    )
    return ratio


def http_post(path: str, port: int, body: bytes, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 keep-alive POST, ready to be written to a socket."""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def start_service_and_raw(
    env: dict[str, str], raw_env: dict[str, str], raw_app: str, work: Path
) -> tuple[dict[str, int], subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """`loyalty api` and a bare baseline app (`module:app`) on free ports, both answering
    /health: (ports by side, the API process, the baseline process)."""
    ports = {"service": free_port(), "raw": free_port()}
    loyalty = str(Path(sys.executable).parent / "loyalty")
    api = start(
        [loyalty, "api", "--host", "127.0.0.1", "--port", str(ports["service"])],
        env,
        work / "api.log",
    )
    raw = start(uvicorn_command(raw_app, ports["raw"]), raw_env, work / "raw.log")
    for name, process in (("service", api), ("raw", raw)):
        wait_ready(f"http://127.0.0.1:{ports[name]}/health", process)
    return ports, api, raw
