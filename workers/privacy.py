"""Privacy request jobs: carry one out; resend the ones a lost job left waiting; delete exports
whose link expired.

The job carries ids only. The request row is the intent: `resend_privacy_requests` (every few
minutes) asks again for requests still VERIFIED or RUNNING, and carrying out is idempotent
(erasure is one transaction; a request already DONE is left alone), so a killed worker or a lost
Redis delays a request and never loses or doubles it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq.worker import Retry, func

from app.auth.principal import Principal
from app.core.db_errors import is_transient
from app.core.failures import log_failure
from app.core.ids import try_parse_id
from app.organizations.service import system_principals
from app.privacy_requests import service
from app.privacy_requests.jobs import CARRY_OUT_PRIVACY_REQUEST

logger = logging.getLogger("workers.privacy")

RETRY_DELAY = dt.timedelta(seconds=10)
MAX_TRIES = 5


async def carry_out_privacy_request(
    ctx: dict[str, Any], organization_id: str, request_id: str
) -> str | None:
    org_id, req_id = try_parse_id(organization_id), try_parse_id(request_id)
    if org_id is None or req_id is None:
        logger.info("privacy request skipped: malformed id")
        return None
    principal = Principal.system(org_id)
    try:
        return await service.run_request(principal, ctx["settings"], req_id)
    except Exception as exc:
        if is_transient(exc) and ctx.get("job_try", 1) < MAX_TRIES:
            raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
        log_failure(logger, "privacy request failed", exc, request=req_id)
        await service.fail(principal, req_id, "INTERNAL")
        return "FAILED"


async def resend_privacy_requests(ctx: dict[str, Any]) -> int:
    sent = 0
    for principal in await system_principals():
        sent += await service.resend_stale(principal)
    return sent


async def delete_expired_exports(ctx: dict[str, Any]) -> int:
    deleted = 0
    for principal in await system_principals():
        deleted += await service.delete_expired_exports(principal, ctx["settings"])
    return deleted


carry_out_privacy_request_job = func(
    carry_out_privacy_request, name=CARRY_OUT_PRIVACY_REQUEST, max_tries=MAX_TRIES
)
