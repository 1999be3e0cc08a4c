"""Running imports in tests through the real service and runner (no mocks)."""

from __future__ import annotations

import io
from typing import Any

from app.auth.principal import Principal
from app.config import Settings
from app.imports import service
from app.imports.options import ImportOptions
from app.imports.runner import run_import
from app.models.imports import ImportJob, ImportKind, ImportRowError


async def start(
    principal: Principal,
    settings: Settings,
    content: str | bytes,
    *,
    kind: ImportKind = ImportKind.CUSTOMERS,
    dry_run: bool = False,
    file_name: str = "customers.csv",
    **options: Any,
) -> ImportJob:
    data = content.encode() if isinstance(content, str) else content
    return await service.start_import(
        principal,
        settings,
        kind=kind,
        source=io.BytesIO(data),
        file_name=file_name,
        options=ImportOptions(**options),
        dry_run=dry_run,
    )


async def run(job: ImportJob, settings: Settings) -> ImportJob:
    await run_import(job.id, settings)
    return await ImportJob.get(id=job.id)


async def import_file(
    principal: Principal, settings: Settings, content: str | bytes, **kwargs: Any
) -> ImportJob:
    return await run(await start(principal, settings, content, **kwargs), settings)


async def row_errors(job: ImportJob) -> list[tuple[int, str | None, str]]:
    rows = await ImportRowError.filter(job_id=job.id).order_by("id")
    return [(e.row_number, e.column, e.code) for e in rows]


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "total": job.total_rows,
        "processed": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "invalid": job.invalid_count,
        "suppressed": job.suppressed_count,
    }


def csv_text(header: str, *rows: str) -> str:
    return "\n".join((header, *rows)) + "\n"
