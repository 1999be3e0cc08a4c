"""Writing generated blocks into an organization: COPY on PostgreSQL, batches on SQLite.

`seed_organization` prepares the organization (stores, signup forms, the program), then writes
the plan block by block, one transaction per block, so memory stays bounded whatever the size.
On PostgreSQL, worker processes generate and encode blocks (numpy, binary COPY format) while
the event loop streams finished ones to the server over one or more connections; when the
database role may (a superuser), foreign-key triggers are skipped for the seeding transactions
(`session_replication_role = replica`): the generator writes referentially whole blocks, and
the tests check that with anti-joins. Lifecycle stages and RFM scores are recomputed at the end
by the lifecycle service, and the tables analyzed, so the data is ready to query.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import multiprocessing
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.pgcopy.columns import Table, binary_copy
from app.organizations.program import program_of
from app.seed import repository
from app.seed.catalog import DEFAULT_PROFILE, PROFILES
from app.seed.encode import BlockTables, Context, block_tables, sqlite_rows
from app.seed.generate import generate_block
from app.seed.plan import BLOCK_SIZE, ProgramRules, SeedPlan

MIN_STORES = 10
SQLITE_BATCH = 5_000


@dataclass
class SeedSummary:
    organization_id: str
    start_index: int
    customers: int
    orders: int
    items: int
    ledger_entries: int
    referred_customers: int
    stores: int
    seconds: float
    customers_per_second: float
    foreign_key_checks: bool
    segments_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {_camel(k): v for k, v in out.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass
class _Counts:
    customers: int = 0
    orders: int = 0
    items: int = 0
    ledger_entries: int = 0
    referred: int = 0

    def add(self, tables: _Encoded) -> None:
        self.customers += tables.customers
        self.orders += tables.orders
        self.items += tables.items
        self.ledger_entries += tables.ledger_entries
        self.referred += tables.referred


@dataclass
class _Encoded:
    """One block, ready to write: per table, its name, columns and payload."""

    payloads: list[tuple[str, list[str], Any]]
    customers: int
    orders: int
    items: int
    ledger_entries: int
    referred: int


def _encode(plan: SeedPlan, ctx: Context, first: int, count: int, dialect: str) -> _Encoded:
    """Generate and encode one block (runs in worker processes on PostgreSQL)."""
    block = generate_block(plan, first, count)
    tables: BlockTables = block_tables(block, ctx)
    convert: Callable[[Table], Any] = binary_copy if dialect == "postgres" else sqlite_rows
    return _Encoded(
        payloads=[(t.name, t.column_names, convert(t)) for t in tables.all()],
        customers=len(block.customers),
        orders=len(block.orders),
        items=len(block.items),
        ledger_entries=len(block.ledger),
        referred=int((block.customers.referrer >= 0).sum()),
    )


class _Progress:
    def __init__(self, total: int, out: TextIO | None) -> None:
        self.total = total
        self.out = out
        self.started = time.perf_counter()
        self.last = 0.0
        self.last_done = -1

    def report(self, done: int, force: bool = False) -> None:
        if self.out is None or done == self.last_done:
            return
        now = time.perf_counter()
        if not force and now - self.last < 2.0:
            return
        self.last = now
        self.last_done = done
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        percent = 100.0 * done / self.total if self.total else 100.0
        print(
            f"seed: {done}/{self.total} customers ({percent:.0f}%),"
            f" {elapsed:.1f} s, {rate:,.0f} customers/s",
            file=self.out,
            flush=True,
        )


async def seed_organization(
    organization_id: uuid.UUID,
    customers: int,
    orders_per_customer: float,
    seed: int,
    *,
    now: dt.datetime | None = None,
    start_index: int | None = None,
    workers: int | None = None,
    writers: int = 2,
    check_foreign_keys: bool = False,
    segments: bool = True,
    progress: TextIO | None = sys.stderr,
    block_size: int | None = None,
    profile: str = DEFAULT_PROFILE,
) -> SeedSummary:
    """Add `customers` synthetic customers with their orders and wallets to an organization.

    `now` defaults to the start of the current UTC day, so a rerun the same day with the same
    seed writes the same data (ids aside); `start_index` defaults to the number of customers
    an earlier seeding gave the organization, so identifiers never collide.
    """
    started = time.perf_counter()
    conn = repository.connection()
    dialect = conn.capabilities.dialect
    org = await repository.organization(organization_id)
    stores = await repository.ensure_stores(organization_id)
    forms = await repository.ensure_signup_forms(organization_id)
    if start_index is None:
        start_index = await repository.seeded_customers(organization_id, conn)
    if now is None:
        today = dt.datetime.now(dt.UTC).date()
        now = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    rules = ProgramRules.of(program_of(org))
    if profile in PROFILES and not PROFILES[profile].points:
        # History imported without points: no earning, no referral bonuses.
        rules = dataclasses.replace(rules, points_numerator=0, referral_bonus=0, referee_bonus=0)
    plan = SeedPlan(
        customers=customers,
        orders_per_customer=orders_per_customer,
        seed=seed,
        now=now,
        rules=rules,
        store_online=tuple(s.online for s in stores),
        signup_forms=len(forms),
        start_index=start_index,
        block_size=block_size or BLOCK_SIZE,
        profile=profile,
    )
    ctx = Context(
        organization_id=organization_id,
        store_ids=tuple(s.id for s in stores),
        signup_form_ids=tuple(f.id for f in forms),
    )
    blocks = plan.blocks()
    counts = _Counts()
    meter = _Progress(customers, progress)
    trust = False
    if dialect == "postgres":
        trust = not check_foreign_keys and await repository.may_skip_triggers(conn)
        await _run_postgres(plan, ctx, blocks, conn, trust, workers, writers, counts, meter)
    else:
        for first, count in blocks:
            encoded = _encode(plan, ctx, first, count, dialect)
            await repository.write_sqlite(conn, encoded.payloads)
            counts.add(encoded)
            meter.report(counts.customers)
    meter.report(counts.customers, force=True)

    if dialect == "postgres" and customers:
        await repository.analyze(conn)
    segments_seconds = None
    if segments and customers:
        from app.auth.principal import Principal
        from app.lifecycle.service import recompute_segments

        segment_start = time.perf_counter()
        await recompute_segments(Principal.system(organization_id))
        segments_seconds = round(time.perf_counter() - segment_start, 2)
    seconds = time.perf_counter() - started
    return SeedSummary(
        organization_id=str(organization_id),
        start_index=start_index,
        customers=counts.customers,
        orders=counts.orders,
        items=counts.items,
        ledger_entries=counts.ledger_entries,
        referred_customers=counts.referred,
        stores=len(stores),
        seconds=round(seconds, 2),
        customers_per_second=round(counts.customers / seconds, 1) if seconds > 0 else 0.0,
        foreign_key_checks=dialect != "postgres" or not trust,
        segments_seconds=segments_seconds,
    )


async def _run_postgres(
    plan: SeedPlan,
    ctx: Context,
    blocks: list[tuple[int, int]],
    conn: BaseDBAsyncClient,
    trust: bool,
    workers: int | None,
    writers: int,
    counts: _Counts,
    meter: _Progress,
) -> None:
    if workers is None:
        workers = 1 if len(blocks) > 1 else 0
    if workers <= 0:
        for first, count in blocks:
            encoded = _encode(plan, ctx, first, count, "postgres")
            await repository.write_postgres(conn, encoded.payloads, trust)
            counts.add(encoded)
            meter.report(counts.customers)
        return

    loop = asyncio.get_running_loop()
    # Finished blocks wait here for a writer; the bound keeps memory to a few blocks.
    queue: asyncio.Queue[_Encoded | None] = asyncio.Queue(maxsize=max(writers, 2))
    writers = max(1, writers)
    # Spawned, not forked: the parent holds an event loop, sockets and threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        async def produce() -> None:
            ahead = workers + 1
            futures: list[asyncio.Future[_Encoded]] = []
            for first, count in blocks:
                futures.append(
                    loop.run_in_executor(pool, _encode, plan, ctx, first, count, "postgres")
                )
                if len(futures) >= ahead:
                    await queue.put(await futures.pop(0))
            for future in futures:
                await queue.put(await future)
            for _ in range(writers):
                await queue.put(None)

        async def write() -> None:
            while True:
                encoded = await queue.get()
                if encoded is None:
                    return
                await repository.write_postgres(conn, encoded.payloads, trust)
                counts.add(encoded)
                meter.report(counts.customers)

        tasks = [asyncio.create_task(produce())] + [
            asyncio.create_task(write()) for _ in range(writers)
        ]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
