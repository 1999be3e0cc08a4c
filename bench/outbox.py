"""The outbox's cost per message, against raw statements doing the bare minimum, same run.

    .venv/bin/python bench/outbox.py --messages 2000 [--rounds 3] [--database sqlite|postgres]

Each round, on a fresh database made by the migrations (a SQLite file, or a PostgreSQL database
created on --pg-admin and dropped after):
- ours: `enqueue_message` for each message (its own transaction: the idempotent INSERT and the
  read-back), then `send_message` for each through the outbox provider (the claim UPDATE, the
  read, the provider call, the DELIVERED UPDATE): what a worker does per job, without arq;
- raw: one INSERT per message in its own transaction, then one UPDATE per message to
  DELIVERED: the least any outbox can do.
The two alternate within each round (the order flips every round) and the ratio is the median
of the per-round ratios, so load from other work on a shared machine hits both alike.
Prints messages/s for enqueue and send, ours and raw, and the ratios (ours / raw).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal  # noqa: E402
from app.config import MessagingSettings  # noqa: E402
from app.core.clock import utcnow  # noqa: E402
from app.core.transactions import atomic  # noqa: E402
from app.db import close_db, init_db, migrate  # noqa: E402
from app.messaging.providers import build_providers  # noqa: E402
from app.messaging.repository import NewMessage  # noqa: E402
from app.messaging.sender import SendOutcome, send_message  # noqa: E402
from app.messaging.service import enqueue_message  # noqa: E402
from app.models.message import MessageChannel, MessagePurpose  # noqa: E402
from app.models.organization import Organization  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
BODY = "Acme Rewards: your verification code is 482913. It expires in 10 minutes."


def new_message(i: int) -> NewMessage:
    return NewMessage(
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.VERIFICATION_CODE,
        recipient=f"+1415555{i % 10000:04d}",
        body=BODY,
        idempotency_key=f"bench-{i}",
    )


async def ours(organization_id: uuid.UUID, count: int) -> tuple[float, float]:
    principal = Principal.system(organization_id)
    providers = build_providers(MessagingSettings())
    started = time.perf_counter()
    ids = [(await enqueue_message(principal, new_message(i))).id for i in range(count)]
    enqueued = time.perf_counter()
    for message_id in ids:
        assert await send_message(message_id, providers) is SendOutcome.DELIVERED
    sent = time.perf_counter()
    return enqueued - started, sent - enqueued


async def raw(organization_id: uuid.UUID, count: int, postgres: bool) -> tuple[float, float]:
    mark = (lambda n: f"${n}") if postgres else (lambda n: "?")
    org = organization_id if postgres else str(organization_id)
    insert = (
        'INSERT INTO "outbox_message" (id, organization_id, channel, purpose, recipient, body, '
        "status, attempts, idempotency_key, created_at, updated_at) VALUES "
        f"({', '.join(mark(n) for n in range(1, 12))})"
    )
    update = (
        f'UPDATE "outbox_message" SET status = {mark(1)}, provider = {mark(2)}, '
        f"provider_message_id = {mark(3)}, sent_at = {mark(4)}, delivered_at = {mark(4)} "
        f"WHERE id = {mark(5)}"
    )
    started = time.perf_counter()
    ids = []
    for i in range(count):
        new = new_message(i)
        message_id = uuid.uuid4()
        now = utcnow()
        key = f"raw-{new.idempotency_key}"
        values = [
            message_id if postgres else str(message_id),
            org,
            new.channel.value,
            new.purpose.value,
            new.recipient,
            new.body,
            "QUEUED",
            0,
            key,
            now,
            now,
        ]
        async with atomic() as tx:
            await tx.execute_query(insert, values)
        ids.append(message_id)
    enqueued = time.perf_counter()
    for message_id in ids:
        now = utcnow()
        provider_id = "outbox-" + secrets.token_hex(12)
        key_id = message_id if postgres else str(message_id)
        # SQLite's ? placeholders are positional: the time is passed twice there.
        params = (
            ["DELIVERED", "outbox", provider_id, now, key_id]
            if postgres
            else ["DELIVERED", "outbox", provider_id, now, now, key_id]
        )
        async with atomic() as tx:
            await tx.execute_query(update, params)
    sent = time.perf_counter()
    return enqueued - started, sent - enqueued


async def fresh_database(
    kind: str, admin: str, work: Path
) -> tuple[str, Callable[[], Awaitable[None]]]:
    if kind == "sqlite":
        path = work / f"outbox-{secrets.token_hex(3)}.sqlite3"
        return f"sqlite://{path}", lambda: asyncio.sleep(0)
    name = f"loyalty_bench_outbox_{os.getpid()}_{secrets.token_hex(3)}"
    connection = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()

    async def drop() -> None:
        admin_connection = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
        await admin_connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_connection.close()

    return f"{admin.rsplit('/', 1)[0]}/{name}", drop


async def one_round(args: argparse.Namespace, number: int, work: Path) -> dict[str, float]:
    url, drop = await fresh_database(args.database, args.pg_admin, work)
    try:
        await migrate(url)
        await init_db(url)
        try:
            org = await Organization.create(name="Bench")
            postgres = args.database == "postgres"
            figures: dict[str, float] = {}
            sides = ["ours", "raw"] if number % 2 else ["raw", "ours"]
            for side in sides:
                if side == "ours":
                    enqueue, send = await ours(org.id, args.messages)
                else:
                    enqueue, send = await raw(org.id, args.messages, postgres)
                figures[f"{side}_enqueue"] = args.messages / enqueue
                figures[f"{side}_send"] = args.messages / send
            return figures
        finally:
            await close_db()
    finally:
        await drop()


async def run(args: argparse.Namespace) -> None:
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(1, args.rounds + 1):
            figures = await one_round(args, number, Path(work))
            rounds.append(figures)
            print(
                f"[bench] round {number}: "
                + ", ".join(f"{k} {v:,.0f}/s" for k, v in figures.items()),
                file=sys.stderr,
            )

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def ratio(step: str) -> float:
        return statistics.median(r[f"ours_{step}"] / r[f"raw_{step}"] for r in rounds)

    print(f"outbox on {args.database}, {args.messages} messages, {args.rounds} rounds (medians)")
    for step in ("enqueue", "send"):
        ours_rate, raw_rate = median(f"ours_{step}"), median(f"raw_{step}")
        print(
            f"  {step:<8} ours {ours_rate:8,.0f} msg/s   raw {raw_rate:8,.0f} msg/s"
            f"   ratio {ratio(step):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-admin", default=os.environ.get("TEST_POSTGRES_URL", PG_ADMIN))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
