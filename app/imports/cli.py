"""`loyalty import customers|orders FILE --org ID` and `loyalty import errors JOB --org ID`.

The file is stored and the job recorded as from the API (the organization acts as SYSTEM); the
service asks for its run, sent to the queue this command finds (see `_redis`) once the job is
committed. With `--wait` a progress bar is drawn on stderr until the job ends;
when no worker takes the job within a few seconds it runs in this process (so the command works
with nothing but the embedded defaults), followed by the same after-import steps a worker
runs (`_run_here`: a segment refresh after orders). The final summary is JSON on stdout; the
exit code is 0 unless the job FAILED or was CANCELLED.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arq.connections import ArqRedis

    from app.config import Settings
    from app.models.imports import ImportJob

# How long a queued job may wait for a worker before `--wait` runs it here.
WORKER_GRACE_SECONDS = 3.0
POLL_SECONDS = 0.5
BAR_WIDTH = 30


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "import", help="bulk import a CSV of customers or orders (see `import --help`)"
    )
    commands = parser.add_subparsers(dest="import_command", required=True)
    for kind in ("customers", "orders"):
        p = commands.add_parser(kind, help=f"import a CSV of {kind}")
        p.add_argument("file", type=Path)
        p.add_argument("--org", required=True, help="organization id")
        p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        p.add_argument(
            "--wait",
            action="store_true",
            help="draw progress until the job ends (runs it here when no worker takes it)",
        )
        p.add_argument("--policy", choices=("upsert", "create-only"), default="upsert")
        p.add_argument(
            "--match-key",
            default="external_reference,email,phone",
            help="keys that find existing customers, by priority",
        )
        p.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="feed a column to a field (empty FIELD ignores the column); repeatable",
        )
        p.add_argument("--traits", action="store_true", help="unmapped columns become traits")
        p.add_argument("--date-order", choices=("MDY", "DMY", "YMD"))
        p.add_argument(
            "--sms-double-opt-in",
            default="never",
            help="when confirmation texts go out: never, immediately, or an ISO 8601 time",
        )
        p.add_argument("--award-points", action="store_true", help="orders: earn points")
        p.add_argument("--batch-size", type=int)
        p.add_argument("--delimiter", help="default: detected")
        p.add_argument("--encoding", choices=("utf-8", "latin-1"), help="default: detected")
        p.set_defaults(func=cmd_import, import_kind=kind)
    p = commands.add_parser("errors", help="print the row-error report of a job (CSV)")
    p.add_argument("job", help="import job id")
    p.add_argument("--org", required=True, help="organization id")
    p.set_defaults(func=cmd_import_errors)


def _options(args: argparse.Namespace) -> Any:
    from app.core.errors import InvalidArgument
    from app.imports.options import (
        DateOrder,
        ImportOptions,
        ImportPolicy,
        MatchKey,
        SmsDoubleOptIn,
        SmsSchedule,
    )

    mapping: list[tuple[str, str | None]] = []
    for item in args.map:
        column, sep, target = item.partition("=")
        if not sep:
            raise InvalidArgument("--map takes COLUMN=FIELD")
        mapping.append((column, target.strip() or None))
    try:
        keys = tuple(MatchKey(k.strip().upper()) for k in args.match_key.split(",") if k.strip())
    except ValueError:
        raise InvalidArgument("--match-key takes external_reference, email, phone") from None
    when = args.sms_double_opt_in.strip()
    if when.lower() in ("never", "immediately"):
        sms = SmsSchedule(SmsDoubleOptIn(when.upper()))
    else:
        try:
            sms = SmsSchedule(SmsDoubleOptIn.AT, dt.datetime.fromisoformat(when))
        except ValueError:
            raise InvalidArgument(
                "--sms-double-opt-in takes never, immediately or an ISO 8601 time"
            ) from None
    return ImportOptions(
        mapping=tuple(mapping),
        match_keys=keys,
        policy=ImportPolicy.CREATE_ONLY if args.policy == "create-only" else ImportPolicy.UPSERT,
        sms_double_opt_in=sms,
        unmapped_as_traits=args.traits,
        award_points=args.award_points,
        date_order=DateOrder(args.date_order) if args.date_order else None,
        batch_size=args.batch_size,
        delimiter=args.delimiter,
        encoding=args.encoding,
    )


async def _redis(settings: Settings) -> ArqRedis | None:
    """The queue: REDIS_URL, or the embedded server of a running `loyalty run`, or none."""
    from arq.connections import create_pool
    from redis.exceptions import RedisError

    from app.embedded_redis import EmbeddedRedis
    from workers.settings import redis_settings

    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        if not embedded.socket_path.exists():
            return None
        url = embedded.url
    try:
        pool = await create_pool(redis_settings(url))
        await pool.ping()
    except (RedisError, OSError):
        return None
    return pool


def _bar(job: ImportJob, started: float) -> str:
    total, done = job.total_rows, job.processed_rows
    share = min(1.0, done / total) if total else 0.0
    filled = int(share * BAR_WIDTH)
    rate = done / max(time.monotonic() - started, 1e-6)
    phase = job.status.value if not total else f"{share * 100:5.1f}%"
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {phase:>9}  {done:,}/{total:,} rows"
        f"  created {job.created_count:,}  updated {job.updated_count:,}"
        f"  invalid {job.invalid_count:,}  {rate:,.0f} rows/s"
    )


class Progress:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = ""
        self.last_print = 0.0

    def show(self, job: ImportJob, final: bool = False) -> None:
        line = _bar(job, self.started)
        now = time.monotonic()
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if final else ""))
            sys.stderr.flush()
        elif final or (line != self.last and now - self.last_print >= 1.0):
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
            self.last_print = now
        self.last = line


async def _run_here(job: ImportJob) -> None:
    """The after-import steps of a job this process ran, run here too by the worker's own
    functions: a queue may be reachable with no worker on it, and the steps must not wait for
    one that never comes (a worker that does come runs them again, which changes nothing)."""
    from app.imports.lease import after_import
    from workers.settings import run_in_process

    for follow_up in after_import(job):
        await run_in_process(follow_up)


async def _wait(job_id: Any, settings: Settings, queued: bool) -> ImportJob:
    from app.imports.repository.jobs import get
    from app.imports.runner import run_import
    from app.imports.status import FINAL
    from app.models.imports import ImportStatus

    progress = Progress()
    local: asyncio.Task[str] | None = None
    ran_here = False
    waited_since = time.monotonic()
    while True:
        job = await get(job_id)
        if job.status in FINAL:
            progress.show(job, final=True)
            if local is not None:
                await local
            if ran_here:
                await _run_here(job)
            return job
        progress.show(job)
        if (
            local is None
            and job.status is ImportStatus.QUEUED
            and (not queued or time.monotonic() - waited_since > WORKER_GRACE_SECONDS)
        ):
            local = asyncio.create_task(run_import(job.id, settings))
            ran_here = True
        if local is not None and local.done():
            local.result()
            local = None
            waited_since = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)


def _summary(job: ImportJob) -> dict[str, Any]:
    return {
        "importJobId": str(job.id),
        "status": job.status.value,
        "dryRun": job.dry_run,
        "counts": {
            "total": job.total_rows,
            "processed": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "invalid": job.invalid_count,
            "suppressed": job.suppressed_count,
        },
        "errorCode": job.error_code,
        "errorMessage": job.error_message,
    }


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import run_with_db
    from app.core.errors import DomainError
    from app.core.ids import parse_id
    from app.core.jobs import queue_bound
    from app.imports import service
    from app.imports.errors import ImportErrorCode
    from app.imports.repository.jobs import organization_exists
    from app.models.imports import ImportKind, ImportStatus

    async def body() -> tuple[dict[str, Any], str | None]:
        redis = await _redis(settings)
        try:
            # The jobs the services ask for (the run, its after-import steps) go to this queue.
            with queue_bound(redis):
                return await run(redis is not None)
        finally:
            if redis is not None:
                await redis.aclose()

    async def run(queued: bool) -> tuple[dict[str, Any], str | None]:
        org_id = parse_id(args.org, "--org")
        if not await organization_exists(org_id):
            raise DomainError(ImportErrorCode.NOT_FOUND, "No organization with this id.", "org")
        if not args.file.is_file():
            raise DomainError(ImportErrorCode.NOT_FOUND, "No such file.", "file")
        kind = ImportKind.CUSTOMERS if args.import_kind == "customers" else ImportKind.ORDERS
        with args.file.open("rb") as source:
            job = await service.start_import(
                Principal.system(org_id),
                settings,
                kind=kind,
                source=source,
                file_name=args.file.name,
                options=_options(args),
                dry_run=args.dry_run,
            )
        note = None
        if job.status is ImportStatus.QUEUED:
            if not queued and not args.wait:
                note = "No queue is reachable: a worker will run the job when it starts."
            if args.wait:
                job = await _wait(job.id, settings, queued)
        return _summary(job), note

    summary, note = run_with_db(settings, body)
    if note:
        print(note, file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 1 if summary["status"] in ("FAILED", "CANCELLED") else 0


def cmd_import_errors(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import print_error, run_with_db
    from app.core.ids import parse_id
    from app.imports import service

    async def body() -> bool:
        principal = Principal.system(parse_id(args.org, "--org"))
        chunks = await service.error_report(principal, parse_id(args.job, "job"))
        if chunks is None:
            return False
        async for chunk in chunks:
            sys.stdout.write(chunk)
        return True

    if not run_with_db(settings, body):
        print_error("NOT_FOUND", "No such import.")
        return 1
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    return 0
