"""Import jobs and their row errors, and the few reads a run makes besides its batches."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.core.transactions import atomic
from app.imports.status import ACTIVE, COMPLETED, FINAL
from app.models.customer import Customer
from app.models.imports import ImportJob, ImportKind, ImportRowError, ImportStatus
from app.models.merge import AliasKind, CustomerAlias
from app.models.organization import Organization, Store

CONNECTION = "default"


def dialect() -> str:
    return str(connections.get(CONNECTION).capabilities.dialect)


async def organization_exists(organization_id: uuid.UUID) -> bool:
    return await Organization.exists(id=organization_id)


async def live_column_types(model: type[Model]) -> dict[str, str]:
    """PostgreSQL: column name -> `data_type` of the model's table as it is in the database."""
    rows = await connections.get(CONNECTION).execute_query_dict(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1",
        [model._meta.db_table],
    )
    return {str(r["column_name"]): str(r["data_type"]) for r in rows}


async def analyze(table: str, columns: Sequence[str]) -> int:
    """PostgreSQL: fresh statistics for these columns; the table's estimated row count."""
    conn = connections.get(CONNECTION)
    await conn.execute_script(f'ANALYZE "{table}" ({", ".join(columns)})')
    rows = await conn.execute_query_dict(
        "SELECT reltuples FROM pg_class WHERE relname = $1", [table]
    )
    return max(0, int(rows[0]["reltuples"])) if rows else 0


async def store_codes(organization_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = await Store.filter(organization_id=organization_id).values_list("id", "code")
    return [(uuid.UUID(str(store_id)), str(code)) for store_id, code in rows]


async def customer_count(organization_id: uuid.UUID) -> int:
    return await Customer.filter(organization_id=organization_id).count()


ALIAS_COLUMNS = {
    AliasKind.EMAIL: "email",
    AliasKind.PHONE: "phone",
    AliasKind.EXTERNAL_REFERENCE: "external_reference",
}


async def customer_identifier_page(
    organization_id: uuid.UUID, columns: Sequence[str], after: uuid.UUID | None, limit: int
) -> list[tuple[Any, ...]]:
    """(id, *columns) of the organization's customers in id order, after `after`."""
    query = Customer.filter(organization_id=organization_id)
    if after is not None:
        query = query.filter(id__gt=after)
    return list(await query.order_by("id").limit(limit).values_list("id", *columns))


async def alias_identifiers(organization_id: uuid.UUID) -> list[tuple[str, str]]:
    """(column, value) of every alias of the organization's standing merges."""
    rows = await CustomerAlias.filter(organization_id=organization_id).values_list("kind", "value")
    return [(ALIAS_COLUMNS[AliasKind(kind)], str(value)) for kind, value in rows]


# --- jobs -------------------------------------------------------------------------------------


async def get(job_id: uuid.UUID) -> ImportJob:
    return await ImportJob.get(id=job_id)


async def of_organization(organization_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob | None:
    return await ImportJob.get_or_none(id=job_id, organization_id=organization_id)


async def locked(
    job_id: uuid.UUID, conn: BaseDBAsyncClient, organization_id: uuid.UUID | None = None
) -> ImportJob | None:
    """The job row, locked for the rest of the transaction (PostgreSQL)."""
    query = ImportJob.filter(id=job_id)
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return await query.select_for_update().using_db(conn).first()


def history(
    organization_id: uuid.UUID, kind: ImportKind | None, status: ImportStatus | None
) -> QuerySet[ImportJob]:
    """The organization's jobs, filtered; the service pages through it in the asked order."""
    query = ImportJob.filter(organization_id=organization_id)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    return query


async def active() -> list[ImportJob]:
    """QUEUED and RUNNING jobs of every organization (id, status, heartbeat only)."""
    return list(await ImportJob.filter(status__in=list(ACTIVE)).only("id", "status", "updated_at"))


async def files_of_jobs_ended_since(since: dt.datetime) -> list[str]:
    rows = await ImportJob.filter(status__in=list(FINAL), finished_at__gte=since).values_list(
        "file_path", flat=True
    )
    return [str(r) for r in rows]


async def update(
    job_id: uuid.UUID,
    conn: BaseDBAsyncClient | None = None,
    *,
    attempt: int | None = None,
    in_status: ImportStatus | None = None,
    **values: Any,
) -> int:
    """Update a job (only this run's `attempt` of it, only while `in_status`, when given)."""
    query = ImportJob.filter(id=job_id)
    if attempt is not None:
        query = query.filter(attempts=attempt)
    if in_status is not None:
        query = query.filter(status=in_status)
    return await query.using_db(conn or connections.get(CONNECTION)).update(**values)


async def save_state(
    job_id: uuid.UUID, attempt: int, state: dict[str, Any], **values: Any
) -> dict[str, Any] | None:
    """Store a run's `options["state"]` (and `values`) over the options as they are now: staff
    may have changed the SMS schedule since the run read them. The options written, or None
    when the run no longer owns the job."""
    async with atomic(CONNECTION) as conn:
        job = await locked(job_id, conn)
        if job is None or job.attempts != attempt:
            return None
        options = {**job.options, "state": state}
        await update(job_id, conn, attempt=attempt, options=options, **values)
    return options


async def due_sms_schedules(now: dt.datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, job) of completed customers imports whose AT schedule is due and has not
    fired, oldest due first."""
    rows = (
        await ImportJob.filter(
            sms_started_at__isnull=True,
            sms_send_at__lte=now,
            status__in=list(COMPLETED),
            kind=ImportKind.CUSTOMERS,
            dry_run=False,
        )
        .order_by("sms_send_at", "id")
        .limit(limit)
        .values_list("organization_id", "id")
    )
    return [(uuid.UUID(str(org)), uuid.UUID(str(job))) for org, job in rows]


async def sms_started_since(since: dt.datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, job) of imports whose texts were asked for at `since` or later."""
    rows = (
        await ImportJob.filter(sms_started_at__gte=since)
        .order_by("sms_started_at", "id")
        .limit(limit)
        .values_list("organization_id", "id")
    )
    return [(uuid.UUID(str(org)), uuid.UUID(str(job))) for org, job in rows]


async def mark_sms_started(job_id: uuid.UUID, now: dt.datetime, conn: BaseDBAsyncClient) -> bool:
    """Fire a due AT schedule once: False when it has fired already, or was changed since."""
    changed = (
        await ImportJob.filter(
            id=job_id,
            sms_started_at__isnull=True,
            sms_send_at__lte=now,
            status__in=list(COMPLETED),
            dry_run=False,
        )
        .using_db(conn)
        .update(sms_started_at=now)
    )
    return changed == 1


async def add_batch_counts(
    job_id: uuid.UUID,
    conn: BaseDBAsyncClient,
    *,
    checkpoint_row: int,
    processed: int,
    created: int,
    updated: int,
    unchanged: int,
    invalid: int,
    suppressed: int,
    now: dt.datetime,
) -> None:
    await update(
        job_id,
        conn,
        checkpoint_row=checkpoint_row,
        processed_rows=F("processed_rows") + processed,
        created_count=F("created_count") + created,
        updated_count=F("updated_count") + updated,
        unchanged_count=F("unchanged_count") + unchanged,
        invalid_count=F("invalid_count") + invalid,
        suppressed_count=F("suppressed_count") + suppressed,
        updated_at=now,
    )


# --- row errors -------------------------------------------------------------------------------


async def rejected_rows(job_id: uuid.UUID, up_to_row: int) -> set[int]:
    """Row numbers with an error, up to `up_to_row`."""
    numbers = await ImportRowError.filter(job_id=job_id, row_number__lte=up_to_row).values_list(
        "row_number", flat=True
    )
    return {int(str(n)) for n in numbers}


async def row_errors(job_id: uuid.UUID, after_id: int | None, limit: int) -> list[ImportRowError]:
    """In file order; `after_id` is the id of the last error already read."""
    query = ImportRowError.filter(job_id=job_id)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return list(await query.order_by("id").limit(limit))
