"""Running one import job: claim it, scan the file, then commit it batch by batch.

Kill-safe by construction:
- Each batch's rows, its row errors and the job's `checkpoint_row` and counts are committed in
  one transaction, after locking the job row and checking that this run still owns the job
  (same attempt, same checkpoint, no cancel asked). A run killed at any point leaves the job at
  its last committed batch; the next run starts after it, so no row is written or counted twice.
- The run that claims a job bumps `attempts`; an older run of the same job (a worker thought dead
  that was only slow) sees it at its next batch and stops. A job keeps a heartbeat in
  `updated_at` (every batch, every second in long phases): a RUNNING job without one for
  `import_stale_seconds` is resumed by the reconcile loop of any worker.
- The within-file duplicate index is rebuilt on resume from the rows already committed, so a
  resumed job decides every later row as an uninterrupted one would.

Memory stays bounded: the file is streamed, a few batches are in flight at once, and the
duplicate index costs 12 bytes per identifier.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from app.config import Settings
from app.core.clock import utcnow
from app.core.db_errors import is_transient
from app.core.errors import DomainError
from app.core.failures import log_failure
from app.core.pgcopy.rows import matches_table, type_codes
from app.core.transactions import atomic
from app.imports.csvfile import FileMalformed, Layout, Record, records, scan
from app.imports.customers import (
    BatchOutcome,
    CustomerDecider,
    CustomerWriter,
    load_alias_owners,
    load_existing,
)
from app.imports.errors import ImportErrorCode as Code
from app.imports.known import KnownIdentifiers
from app.imports.known import snapshot as known_identifiers
from app.imports.lease import claim, finish, heartbeat, release
from app.imports.mapping import ColumnPlan
from app.imports.options import ImportOptions, default_date_order
from app.imports.orders import (
    ConcurrentWrite,
    OrderDecider,
    OrderWriter,
    load_customers,
    load_receipts,
    row_keys,
)
from app.imports.pool import Validator
from app.imports.progress import announce_by_id
from app.imports.records import RecordLayout, with_templates
from app.imports.repository import jobs as repository
from app.imports.repository.batch import BatchSql, model_columns, model_defaults
from app.imports.rows import (
    CustomerRow,
    InvalidRow,
    OrderRow,
    RowError,
    RowResult,
    ValidatorConfig,
    store_key,
    validate_batch,
)
from app.imports.seen import BatchClaims, Key, SeenKeys
from app.imports.status import FINAL
from app.imports.storage import ImportStorage
from app.imports.suppression import Suppression
from app.metrics.imports import count_import_rows
from app.models.audit import ActorKind
from app.models.consent import ConsentEvent
from app.models.customer import Customer
from app.models.imports import ImportJob, ImportKind, ImportStatus
from app.organizations.profile import load_profile

logger = logging.getLogger("app.imports")

MAX_ATTEMPTS = 5
BATCH_RETRIES = 5
# Rows per batch: start here, then sized so a batch commits in about half a second.
DEFAULT_BATCH = {"postgres": 10_000, "sqlite": 2000}
MAX_AUTO_BATCH = {"postgres": 10_000, "sqlite": 5000}
MIN_AUTO_BATCH = 200
ANALYZE_MIN_ROWS = 20_000
# What the batch lookups filter on, per kind of import.
ANALYZE_COLUMNS = {
    ImportKind.CUSTOMERS: ("customer", ("organization_id", "email", "phone", "external_reference")),
    ImportKind.ORDERS: ("customer_order", ("organization_id", "receipt_number")),
}
TARGET_BATCH_SECONDS = 0.5
HEARTBEAT_SECONDS = 1.0
# Below this many rows a job validates in its own process: starting the pool costs a second.
PARALLEL_MIN_ROWS = 20_000


# What the reading side hands the writing side: a batch and its validation, the end (None),
# or why reading failed.
_Produced = tuple[list[Record], "asyncio.Future[list[RowResult]]"] | BaseException | None


class TransientFailure(Exception):
    """The database kept refusing a batch (locks, a busy SQLite): try the job again later."""


class _CancelledMeanwhile(Exception):
    """A cancel was asked for while a batch waited for the job's lock: nothing was written."""


class _Stop(Exception):
    """This run no longer owns the job (cancelled, taken over, or finished elsewhere)."""


def _unique_clash(exc: BaseException) -> bool:
    """A constraint refused a write: another writer got there between our read and write."""
    return isinstance(
        exc, IntegrityError | asyncpg.IntegrityConstraintViolationError | sqlite3.IntegrityError
    )


def _transient(exc: BaseException) -> bool:
    """Worth another try: a lost race for a unique key, or a transient database error."""
    return _unique_clash(exc) or isinstance(exc, ConcurrentWrite) or is_transient(exc)


async def binary_codes(model: type[Model]) -> tuple[str, ...] | None:
    """The binary COPY type codes of the model's columns, when the database is PostgreSQL
    and the live table has the column types the model says; None otherwise."""
    if repository.dialect() != "postgres":
        return None
    codes = type_codes(model)
    if codes is None:
        return None
    live = await repository.live_column_types(model)
    columns = model_columns(model)
    if set(live) != set(columns) or not matches_table(codes, columns, live):
        logger.warning("import: %s does not match its model; using the driver's encoding", model)
        return None
    return codes


@dataclass
class Counts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    suppressed: int = 0


class JobRunner:
    def __init__(self, job: ImportJob, settings: Settings) -> None:
        self.job = job
        self.attempt = job.attempts
        self.settings = settings
        self.storage = ImportStorage(settings.imports_root)
        self.options = ImportOptions.from_json(job.options)
        self.kind = job.kind
        self.organization_id: uuid.UUID = job.organization_id  # type: ignore[assignment]
        self.dialect = repository.dialect()
        self.suppression = Suppression(self.organization_id)
        self.seen = SeenKeys()
        self.checkpoint = job.checkpoint_row
        self.batch_size = self.options.batch_size or DEFAULT_BATCH.get(self.dialect, 2000)
        self._rows_at_analyze = 0
        self._created_since_analyze = 0
        # Seconds spent per phase, logged when the job ends (operations, no personal data).
        self.timings: dict[str, float] = collections.defaultdict(float)
        self._turns: asyncio.Lock | None = None
        # Customers: the organization's identifiers at the start (see known.py), and whether
        # a unique index caught a change made since, so every identifier is looked up.
        self.known: KnownIdentifiers | None = None
        self.full_lookups = False

    async def _refresh_statistics(self, force: bool = False) -> None:
        """Keep PostgreSQL's statistics of the tables the import grows in step with them.

        The batch lookups are planned from `pg_class` estimates: a table loaded since its last
        ANALYZE looks tiny, and a lookup of thousands of identifiers is then planned as a scan
        of the whole organization, per batch. Autovacuum catches up in minutes, an import
        grows a table in seconds: analyze (the lookup columns only) at the start, whenever the
        import has doubled the table since, and at the end.
        """
        if self.dialect != "postgres":
            return
        if not force and self._created_since_analyze < max(ANALYZE_MIN_ROWS, self._rows_at_analyze):
            return
        table, columns = ANALYZE_COLUMNS[self.kind]
        self._rows_at_analyze = await repository.analyze(table, columns)
        self._created_since_analyze = 0

    async def fail(self, code: Code, message: str) -> str:
        await finish(self.job.id, self.attempt, ImportStatus.FAILED, self.storage, code, message)
        return ImportStatus.FAILED.value

    async def run(self) -> str:
        job = self.job
        if job.cancel_requested:
            await finish(job.id, self.attempt, ImportStatus.CANCELLED, self.storage)
            return ImportStatus.CANCELLED.value
        if self.attempt > MAX_ATTEMPTS:
            return await self.fail(
                Code.WORKER_LOST,
                f"The import stopped unexpectedly {MAX_ATTEMPTS} times; rows committed so far"
                " stay imported.",
            )
        path = self.storage.path(job.file_path)
        if not path.exists():
            return await self.fail(Code.FILE_MISSING, "The uploaded file is no longer stored.")
        state = dict(job.options.get("state") or {})
        layout_json = state.get("layout") or {}
        plan = ColumnPlan.from_json(self.kind, state.get("columns") or [])
        layout = Layout(
            layout_json["encoding"],
            layout_json["delimiter"],
            plan.headers,
            int(layout_json["header_records"]),
        )
        if "scan" not in state:
            counted = [0]
            started = time.monotonic()
            try:
                async with heartbeat(job.id, self.attempt, lambda: {"total_rows": counted[0]}):
                    result = await asyncio.to_thread(
                        scan, path, layout, lambda rows: counted.__setitem__(0, rows)
                    )
                self.timings["scan"] += time.monotonic() - started
            except DomainError as exc:
                return await self.fail(Code(exc.code.value), exc.message)
            except FileMalformed as exc:
                return await self.fail(
                    Code.MALFORMED_CSV,
                    f"Row {exc.index + layout.header_records}: a quote is never closed, so the"
                    " rest of the file cannot be read. Nothing was imported.",
                )
            state["scan"] = {"encoding": result.encoding, "records": result.records}
            state["layout"] = {**layout_json, "encoding": result.encoding}
            saved = await repository.save_state(
                job.id, self.attempt, state, total_rows=result.rows, updated_at=utcnow()
            )
            if saved is not None:
                job.options = saved
            job.total_rows = result.rows
        layout = Layout(
            state["layout"]["encoding"], layout.delimiter, layout.header, layout.header_records
        )
        profile = await load_profile(self.organization_id)
        store_map: dict[str, uuid.UUID] = {}
        for store_id, code in await repository.store_codes(self.organization_id):
            store_map[store_key(code)] = store_id
            store_map[store_key(str(store_id))] = store_id
        now = utcnow()
        records_layout = RecordLayout(
            organization_id=self.organization_id,
            job_id=job.id,
            now=now,
            customer_columns=model_columns(Customer),
            customer_defaults=model_defaults(Customer, now),
            consent_columns=model_columns(ConsentEvent),
            consent_defaults=model_defaults(ConsentEvent, now),
            text_uuids=self.dialect == "sqlite",
        )
        records_layout = with_templates(
            records_layout, await binary_codes(Customer), await binary_codes(ConsentEvent)
        )
        config = ValidatorConfig(
            key=f"{job.id}:{self.attempt}",
            kind=self.kind,
            plan=plan,
            region=profile.default_region,
            timezone=profile.timezone,
            date_order=self.options.date_order or default_date_order(profile.default_region),
            stores=store_map,
            now=now,
            row_offset=layout.header_records,
            records=records_layout if self.kind is ImportKind.CUSTOMERS else None,
        )
        workers = self.settings.import_workers if job.total_rows >= PARALLEL_MIN_ROWS else 1
        validator = Validator(config, workers)
        if self.kind is ImportKind.CUSTOMERS:
            self.records_layout = records_layout
            self.customer_writer = CustomerWriter(records_layout)
            if not job.dry_run:
                self.known = await known_identifiers(self.organization_id, job.total_rows)
        else:
            self.order_writer = OrderWriter(
                self.organization_id,
                now,
                profile.program,
                self.options.award_points,
                ActorKind.STAFF if job.created_by_id else ActorKind.SYSTEM,
                job.created_by_id,
            )
        self.plan = plan
        if not job.dry_run:
            await self._refresh_statistics(force=True)
        try:
            if self.checkpoint > 0:
                async with heartbeat(job.id, self.attempt):
                    await self._rebuild_seen(path, layout, validator)
            await self._import(path, layout, validator)
        except _Stop as stop:
            return str(stop)
        fresh = await repository.get(job.id)
        if fresh.created_count >= ANALYZE_MIN_ROWS and not job.dry_run:
            await self._refresh_statistics(force=True)
        status = (
            ImportStatus.SUCCEEDED
            if fresh.invalid_count == 0 and fresh.suppressed_count == 0
            else ImportStatus.PARTIAL
        )
        await finish(job.id, self.attempt, status, self.storage)
        logger.info(
            "import %s %s: %d rows; %s",
            job.id,
            status.value,
            fresh.processed_rows,
            ", ".join(f"{k} {v:.1f}s" for k, v in sorted(self.timings.items())),
        )
        return status.value

    # The duplicate index of a resumed job ------------------------------------------------

    async def _rebuild_seen(self, path: Path, layout: Layout, validator: Validator) -> None:
        last_row = self.checkpoint + layout.header_records
        rejected = await repository.rejected_rows(self.job.id, last_row)
        reader = records(path, layout)
        while True:
            batch = await asyncio.to_thread(_take, reader, self.batch_size, self.checkpoint)
            if not batch:
                return
            results = await validator.run(batch)
            candidates = [k for r in results for k in self._keys(r)]
            claims = BatchClaims(self.seen, candidates)
            for result in results:
                if isinstance(result, CustomerRow | OrderRow) and result.row not in rejected:
                    claims.claim(self._keys(result), result.row)
            claims.commit()

    @staticmethod
    def _suppression_keys(results: list[RowResult | None], candidates: list[Key]) -> list[Key]:
        """What suppression checks: the customer identifiers of every row (an order row names
        its customer by them), besides the batch's own claim keys."""
        keys = list(candidates)
        keys.extend(k for r in results if isinstance(r, OrderRow) for k in row_keys(r))
        return keys

    def _keys(self, result: RowResult) -> list[Key]:
        if isinstance(result, CustomerRow):
            return list(result.keys)
        if isinstance(result, OrderRow):
            return [("receipt", result.receipt_number)]
        return []

    # The batches -------------------------------------------------------------------------

    async def _import(self, path: Path, layout: Layout, validator: Validator) -> None:
        """Commit batches in file order while a producer reads the next ones and has them
        validated, so reading and validation overlap the database's work."""
        # Every validation process takes a share of each batch, so one batch validating while
        # another commits keeps them all busy; more would only hold more rows in memory.
        depth = 2
        # SQLite writes in aiosqlite's thread, which gives up the GIL at every row it steps and
        # then waits to get it back: a CPU-bound Python thread running meanwhile (reading the
        # file, validating inline) slows the write ten-fold. On SQLite those take turns.
        self._turns = asyncio.Lock() if self.dialect == "sqlite" else None
        queue: asyncio.Queue[_Produced] = asyncio.Queue(maxsize=depth)
        producer = asyncio.create_task(self._produce(path, layout, validator, queue))
        try:
            while True:
                waited = time.monotonic()
                item = await queue.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                batch, future = item
                try:
                    results = await future
                except Exception:
                    results = await validator.run(batch)
                started = time.monotonic()
                self.timings["waiting for rows"] += started - waited
                async with self._turn():
                    await self._commit(batch, results)
                elapsed = time.monotonic() - started
                self.timings["deciding and writing"] += elapsed
                self._resize(len(batch), elapsed)
                if not self.job.dry_run:
                    analyzed = time.monotonic()
                    await self._refresh_statistics()
                    self.timings["analyze"] += time.monotonic() - analyzed
                if self.options.throttle_ms:
                    await asyncio.sleep(self.options.throttle_ms / 1000)
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer

    async def _produce(
        self, path: Path, layout: Layout, validator: Validator, queue: asyncio.Queue[_Produced]
    ) -> None:
        """Read batches and start their validation; None at the end, or the failure."""
        try:
            reader = records(path, layout, after=self.checkpoint)
            while True:
                async with self._turn():
                    batch = await asyncio.to_thread(_take, reader, self.batch_size, None)
                if not batch:
                    await queue.put(None)
                    return
                if validator.parallel:
                    future = validator.submit(batch)
                else:
                    async with self._turn():
                        results = await asyncio.to_thread(_validate_inline, validator, batch)
                    future = asyncio.get_running_loop().create_future()
                    future.set_result(results)
                await queue.put((batch, future))
        except Exception as exc:
            await queue.put(exc)

    def _turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._turns if self._turns is not None else contextlib.nullcontext()

    def _resize(self, size: int, seconds: float) -> None:
        if self.options.batch_size:
            return
        if seconds > 2 * TARGET_BATCH_SECONDS:
            self.batch_size = max(MIN_AUTO_BATCH, size // 2)
        elif seconds < TARGET_BATCH_SECONDS / 2:
            self.batch_size = min(MAX_AUTO_BATCH.get(self.dialect, 5000), size * 2)

    async def _commit(self, batch: list[Record], results: list[RowResult]) -> None:
        delay = 0.05
        for attempt in range(BATCH_RETRIES):
            try:
                await self._commit_once(batch, results)
                return
            except _Stop:
                raise
            except Exception as exc:
                if _unique_clash(exc):
                    self.full_lookups = True
                if not _transient(exc) or attempt == BATCH_RETRIES - 1:
                    if _transient(exc):
                        raise TransientFailure() from exc
                    raise
                logger.info("import batch retried after a transient database error")
                await asyncio.sleep(delay)
                delay *= 4

    async def _commit_once(self, batch: list[Record], results: list[RowResult]) -> None:
        job_id = self.job.id
        dry_run = self.job.dry_run
        last_index = batch[-1].index
        counts = Counts()
        await self._cancel_if_asked()
        try:
            async with atomic() as conn:
                current = await repository.locked(job_id, conn)
                if (
                    current is None
                    or current.status in FINAL
                    or current.attempts != self.attempt
                    or current.checkpoint_row != self.checkpoint
                ):
                    raise _Stop("taken over")
                if current.cancel_requested:
                    # Asked for between the check above and this lock.
                    raise _CancelledMeanwhile
                sql = BatchSql(conn, self.timings)
                if sql.postgres:
                    # A batch lost in a database crash before its WAL reached the disk is lost
                    # with its checkpoint and counts, and simply done again: no need to wait.
                    await sql.execute("SET LOCAL synchronous_commit TO off", [])
                candidates = [k for r in results for k in self._keys(r)]
                claims = BatchClaims(self.seen, candidates)
                await self.suppression.prepare(self._suppression_keys(results, candidates), conn)
                outcome = await self._decide(sql, results, claims, dry_run)
                errors: list[RowError] = list(outcome.errors)
                for result in results:
                    if result is None:
                        continue
                    counts.processed += 1
                    if isinstance(result, InvalidRow):
                        counts.invalid += 1
                        errors.extend(result.errors)
                errors.sort(key=lambda e: e.row)
                await sql.insert(
                    "import_row_error",
                    ("job_id", "row_number", "column", "code", "message"),
                    [
                        (
                            job_id,
                            e.row,
                            (e.column or "")[:100] or None,
                            e.code.value,
                            e.message[:300],
                        )
                        for e in errors
                    ],
                )
                await repository.add_batch_counts(
                    job_id,
                    conn,
                    checkpoint_row=last_index,
                    processed=counts.processed,
                    created=outcome.created,
                    updated=outcome.updated,
                    unchanged=outcome.unchanged,
                    invalid=counts.invalid + outcome.invalid,
                    suppressed=outcome.suppressed,
                    now=utcnow(),
                )
        except _CancelledMeanwhile:
            await self._cancel_if_asked()
            raise _Stop("taken over") from None
        claims.commit()
        count_import_rows(
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            invalid=counts.invalid + outcome.invalid,
            suppressed=outcome.suppressed,
        )
        self.checkpoint = last_index
        self._created_since_analyze += outcome.created
        await announce_by_id(job_id)

    async def _cancel_if_asked(self) -> None:
        """End the job CANCELLED when a cancel was asked for (raises `_Stop`); else nothing."""
        job_id = self.job.id
        cancelled = False
        async with atomic() as conn:
            current = await repository.locked(job_id, conn)
            if current is None or current.status in FINAL:
                raise _Stop("gone")
            if current.attempts != self.attempt or current.checkpoint_row != self.checkpoint:
                raise _Stop("taken over")
            if current.cancel_requested:
                cancelled = True
                now = utcnow()
                await repository.update(
                    job_id, conn, status=ImportStatus.CANCELLED, finished_at=now, updated_at=now
                )
        if cancelled:
            self.storage.delete(self.job.file_path)
            await announce_by_id(job_id)
            raise _Stop(ImportStatus.CANCELLED.value)

    async def _decide(
        self, sql: BatchSql, results: list[RowResult], claims: BatchClaims, dry_run: bool
    ) -> BatchOutcome:
        if self.kind is ImportKind.CUSTOMERS:
            rows = [r for r in results if isinstance(r, CustomerRow)]
            if self.known is not None and not self.full_lookups:
                keys = self.known.to_look_up([r.keys for r in rows])
            else:
                keys = [k for r in rows for k in r.keys]
            existing = await load_existing(sql, self.organization_id, keys, lock=not dry_run)
            aliases = await load_alias_owners(
                sql, self.organization_id, keys, existing, lock=not dry_run
            )
            decider = CustomerDecider(
                self.options,
                self.plan,
                self.records_layout,
                existing,
                claims,
                self.suppression,
                aliases,
            )
            for row in rows:
                decider.decide(row)
            if not dry_run:
                await self.customer_writer.write(sql, decider.result)
            return decider.result
        orders = [r for r in results if isinstance(r, OrderRow)]
        customers = await load_customers(
            sql, self.organization_id, [k for r in orders for k in row_keys(r)]
        )
        receipts = await load_receipts(
            sql, self.organization_id, sorted({r.receipt_number for r in orders})
        )
        order_decider = OrderDecider(self.plan, customers, receipts, claims, self.suppression)
        for order in orders:
            order_decider.decide(order)
        if not dry_run:
            await self.order_writer.write(sql, order_decider.result)
        return order_decider.result


def _take(reader: Iterator[Record], size: int, until: int | None) -> list[Record]:
    """The next batch of records (up to record `until` when given)."""
    batch: list[Record] = []
    for record in reader:
        batch.append(record)
        if len(batch) >= size or (until is not None and record.index >= until):
            break
    if until is not None:
        batch = [r for r in batch if r.index <= until]
    return batch


def _validate_inline(validator: Validator, batch: list[Record]) -> list[RowResult]:
    return validate_batch(validator.config, batch)


async def run_import(job_id: uuid.UUID, settings: Settings) -> str:
    """Run (or resume) one job to its end. Safe to call twice, concurrently or in a row.

    Ending it asks for its after-import steps (see `app.imports.lease.finish`)."""
    job = await claim(job_id, settings.import_stale_seconds)
    if job is None:
        return "skipped"
    runner = JobRunner(job, settings)
    # Tortoise's transaction exit gives the connection back to the pool before it restores the
    # task's connection: a cancel landing in between leaves the task pointing at a released
    # connection. The release below runs in the context from before any transaction.
    outside = contextvars.copy_context()
    try:
        outcome = await runner.run()
    except asyncio.CancelledError:
        await asyncio.shield(asyncio.create_task(release(job.id, runner.attempt), context=outside))
        raise
    except TransientFailure:
        await release(job.id, runner.attempt)
        raise
    except Exception as exc:
        # The message of a database error can hold a value of the file: log its type only.
        log_failure(logger, "import failed", exc, job=job.id)
        await runner.fail(
            Code.INTERNAL,
            "The import stopped on an unexpected error; rows committed so far stay imported.",
        )
        return ImportStatus.FAILED.value
    return outcome
