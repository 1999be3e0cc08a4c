"""SMS consent jobs: an import's double opt-in texts (now, or when its AT schedule is due), and
the daily lapse of unanswered ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arq.worker import Retry, func

from app.auth.principal import Principal
from app.consent.double_opt_in import request_for_import
from app.consent.jobs import SEND_IMPORT_OPT_INS
from app.consent.lapse import lapse_pending
from app.core.db_errors import is_transient
from app.core.ids import try_parse_id
from app.imports.sms_schedule import send_due_import_texts

RETRY_DELAY = dt.timedelta(seconds=10)


async def import_opt_ins(ctx: dict[str, Any], organization_id: str, import_job_id: str) -> int:
    org_id, job_id = try_parse_id(organization_id), try_parse_id(import_job_id)
    if org_id is None or job_id is None:
        return 0
    try:
        return await request_for_import(Principal.system(org_id), job_id)
    except Exception as exc:
        # Each text has its own key: a re-run after a transient error queues only the rest.
        if is_transient(exc):
            raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
        raise


async def send_scheduled_import_texts(ctx: dict[str, Any]) -> dict[str, int]:
    """The minute cron: imports whose AT time has come ask for their texts."""
    return {"imports": await send_due_import_texts()}


async def lapse_sms_requests(ctx: dict[str, Any]) -> dict[str, int]:
    return {"lapsed": await lapse_pending()}


send_import_opt_ins_job = func(import_opt_ins, name=SEND_IMPORT_OPT_INS, max_tries=10)
