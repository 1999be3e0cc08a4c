"""Live progress of an import job: what the run publishes and what a subscriber follows.

A run announces its job after every change it commits (claimed, each batch, the end, a release)
and the service when it cancels one; `watch` follows a job of the caller's organization until it
ends. The message is the job's state and counts: ids and numbers, never a value of the file.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.live import channels
from app.core.live.errors import LiveErrorCode
from app.core.live.follow import Feed, LiveLimits, follow
from app.imports.repository import jobs as repository
from app.imports.status import FINAL
from app.models.imports import ImportJob, ImportStatus

KIND = "import"


@dataclass(frozen=True)
class ImportProgress:
    job_id: uuid.UUID
    status: ImportStatus
    total_rows: int
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    invalid: int
    suppressed: int
    # The job-level failure code (FAILED jobs); never a message, which may name a column.
    error_code: str | None

    @classmethod
    def of(cls, job: ImportJob) -> ImportProgress:
        return cls(
            job_id=job.id,
            status=job.status,
            total_rows=job.total_rows,
            processed_rows=job.processed_rows,
            created=job.created_count,
            updated=job.updated_count,
            unchanged=job.unchanged_count,
            invalid=job.invalid_count,
            suppressed=job.suppressed_count,
            error_code=job.error_code,
        )

    @property
    def ended(self) -> bool:
        return self.status in FINAL

    def to_message(self) -> dict[str, Any]:
        return {
            "job": str(self.job_id),
            "status": self.status.value,
            "total": self.total_rows,
            "processed": self.processed_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "suppressed": self.suppressed,
            "error": self.error_code,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ImportProgress | None:
        try:
            error = message["error"]
            return cls(
                job_id=uuid.UUID(str(message["job"])),
                status=ImportStatus(message["status"]),
                total_rows=int(message["total"]),
                processed_rows=int(message["processed"]),
                created=int(message["created"]),
                updated=int(message["updated"]),
                unchanged=int(message["unchanged"]),
                invalid=int(message["invalid"]),
                suppressed=int(message["suppressed"]),
                error_code=None if error is None else str(error),
            )
        except (KeyError, ValueError, TypeError):
            return None

    def order(self) -> tuple[int, ...]:
        # Rows only grow within a run; an end is after everything; RUNNING after QUEUED.
        return (int(self.ended), self.processed_rows, int(self.status is ImportStatus.RUNNING))


def channel_of(organization_id: uuid.UUID, job_id: uuid.UUID) -> str:
    return channels.channel(KIND, organization_id, job_id)


async def announce(job: ImportJob) -> None:
    """Publish the job's committed state (call after the commit, never inside it)."""
    progress = ImportProgress.of(job)
    await channels.publish(
        channel_of(job.organization_id, job.id),  # type: ignore[arg-type]
        progress.to_message(),
    )


async def announce_by_id(job_id: uuid.UUID) -> None:
    job = await repository.get(job_id)
    await announce(job)


async def watch(
    principal: Principal, job_id: uuid.UUID, limits: LiveLimits
) -> AsyncGenerator[ImportProgress, None]:
    """The job's progress now and at every change, ending with its final state."""
    principal.require(Operation.IMPORT_RUN)
    organization_id = principal.organization_id
    if await repository.of_organization(organization_id, job_id) is None:
        raise DomainError(LiveErrorCode.NOT_FOUND, "No such import.", "id")

    async def read() -> ImportProgress:
        job = await repository.of_organization(organization_id, job_id)
        if job is None:
            raise DomainError(LiveErrorCode.NOT_FOUND, "No such import.", "id")
        return ImportProgress.of(job)

    def parse(message: dict[str, Any]) -> ImportProgress | None:
        progress = ImportProgress.from_message(message)
        return progress if progress is not None and progress.job_id == job_id else None

    feed = Feed(channel_of(organization_id, job_id), read, parse)
    async with aclosing(follow(principal.holder, feed, limits)) as states:
        async for progress in states:
            yield progress
