"""When a customers import's double opt-in texts go out, and the minute cron that sends them
when staff chose AT a time.

The schedule lives on the import job (`options["sms_double_opt_in"]`, and `sms_send_at` for
AT), so staff can change it until the texts have been asked for; `sms_started_at` records that
moment, once. Every route to the texts ends in the same `send_import_opt_ins` job (its id
names the import; each text has its own key), asked for after the commit that records it:

- IMMEDIATELY: when the import completes (`app.imports.lease.finish`), or at once when staff
  choose it for an import that has completed;
- AT: by `send_due_import_texts`, the minute cron, for completed imports whose time has come.
  Not an arq job deferred to that time: such a job could be neither changed nor cancelled,
  and a burst worker would wait for it.

The cron also asks again, for 30 minutes, for the texts job of every import that started
sending, so a job lost between the commit and Redis is sent anyway (arq's job id makes that a
no-op otherwise). Quiet hours still apply per recipient: a text due at night waits in the
outbox for the recipient's window (`app.consent.double_opt_in`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.consent.jobs import send_import_opt_ins
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.jobs import request_job
from app.core.transactions import atomic
from app.imports.errors import ImportErrorCode as Code
from app.imports.options import ImportOptions, SmsDoubleOptIn, SmsSchedule
from app.imports.progress import announce
from app.imports.repository import jobs as repository
from app.imports.status import COMPLETED
from app.messaging import service as outbox
from app.models.imports import ImportJob, ImportKind, ImportStatus
from app.models.message import MessageStatus as Status

logger = logging.getLogger("app.imports")

# Due schedules fired per transaction by the cron; more wait for its next page.
_DUE_PAGE = 100
# Started imports whose texts job the cron asks for again, in case it was lost: shorter than
# the hour arq keeps a finished job's id (`keep_result`), within which asking is a no-op.
RESEND_WINDOW = dt.timedelta(minutes=30)


def _already_asked(job: ImportJob) -> bool:
    if job.sms_started_at is not None:
        return True
    # Imports completed before `sms_started_at` existed sent IMMEDIATELY without recording it.
    sent = ImportOptions.from_json(job.options).sms_double_opt_in.send
    return sent is SmsDoubleOptIn.IMMEDIATELY and job.status in COMPLETED


def _check_changeable(job: ImportJob | None) -> ImportJob:
    if job is None:
        raise DomainError(Code.NOT_FOUND, "No such import.", "importJobId")
    if job.kind is not ImportKind.CUSTOMERS:
        raise DomainError(
            Code.NOT_A_CUSTOMERS_IMPORT, "Only a customers import sends texts.", "importJobId"
        )
    if job.dry_run:
        raise DomainError(
            Code.DRY_RUN, "A dry run writes nothing and sends no text.", "importJobId"
        )
    if _already_asked(job):
        raise DomainError(
            Code.SMS_ALREADY_SENT,
            "The texts of this import have already been sent (or are being sent).",
            "schedule",
        )
    if job.status in (ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise DomainError(
            Code.IMPORT_NOT_COMPLETED,
            "The import did not complete: its texts are never sent.",
            "importJobId",
        )
    return job


async def update_sms_schedule(
    principal: Principal, job_id: uuid.UUID, schedule: SmsSchedule
) -> ImportJob:
    """Change when the import's texts go out, until they have been asked for.

    IMMEDIATELY on a completed import asks for them now; NEVER cancels a pending AT; AT needs
    a future time (within a year). A DomainError says why the change is refused.
    """
    principal.require(Operation.IMPORT_RUN)
    now = utcnow()
    schedule = schedule.validated(now, "schedule.at")
    async with atomic() as conn:
        job = _check_changeable(await repository.locked(job_id, conn, principal.organization_id))
        job.options = {**job.options, "sms_double_opt_in": schedule.to_json()}
        job.sms_send_at = schedule.due_at
        fields = ["options", "sms_send_at"]
        if schedule.send is SmsDoubleOptIn.IMMEDIATELY and job.status in COMPLETED:
            job.sms_started_at = now
            fields.append("sms_started_at")
            await request_job(send_import_opt_ins(principal.organization_id, job.id))
        # Not `updated_at`: it is a running import's heartbeat, not this change's.
        await repository.update(job.id, conn, **{f: getattr(job, f) for f in fields})
    logger.info("imports.sms_schedule_changed send=%s", schedule.send.value)
    await announce(job)
    return job


async def send_due_import_texts() -> int:
    """The minute cron: ask for the texts of every completed import whose AT time has come.

    Each schedule fires once: a conditional update records `sms_started_at` and the job is
    asked for after that commit, so two crons at once (or one run twice) ask once. The number
    of imports fired.
    """
    fired = 0
    now = utcnow()
    while due := await repository.due_sms_schedules(now, _DUE_PAGE):
        for organization_id, job_id in due:
            async with atomic() as conn:
                if await repository.mark_sms_started(job_id, now, conn):
                    await request_job(send_import_opt_ins(organization_id, job_id))
                    fired += 1
        if len(due) < _DUE_PAGE or not fired:
            break
    if fired:
        logger.info("imports.sms_schedules_fired count=%s", fired)
    # The way back from a lost job (Redis down at the commit, a flush): ask again for the texts
    # of imports started lately. arq keeps a job's id with its result for an hour, so for a
    # job that ran (or still runs) asking again is a no-op; a lost one runs now, and queues
    # only the texts still missing (each has its own key).
    for organization_id, job_id in await repository.sms_started_since(
        now - RESEND_WINDOW, _DUE_PAGE
    ):
        await request_job(send_import_opt_ins(organization_id, job_id))
    return fired


@dataclass(frozen=True)
class ImportTexts:
    """An import's double opt-in texts by where they are."""

    # Waiting in the outbox: for their send job, a retry, or the recipient's quiet hours.
    queued: int = 0
    # Handed to the provider (the outbox provider: delivered at once).
    sent: int = 0
    # Not sent: refused, suppressed (a STOP or a lapse came first), or unconfirmed.
    failed: int = 0


_QUEUED = (Status.QUEUED, Status.SENDING)
_SENT = (Status.SENT, Status.DELIVERED, Status.UNDELIVERABLE)


async def import_texts(
    principal: Principal, job_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ImportTexts]:
    """Each import's text counts, from the outbox rows that name it (one grouped count for
    all of them: the GraphQL data loader's batch)."""
    principal.require(Operation.IMPORT_RUN)
    counts = await outbox.import_text_counts(principal, job_ids)
    result = {}
    for job_id in job_ids:
        by_status = counts.get(job_id, {})
        result[job_id] = ImportTexts(
            queued=sum(by_status.get(s, 0) for s in _QUEUED),
            sent=sum(by_status.get(s, 0) for s in _SENT),
            failed=by_status.get(Status.FAILED, 0),
        )
    return result
