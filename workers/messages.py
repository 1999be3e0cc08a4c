"""Outbox jobs: send one message (by id), and reconcile the outbox with the queue.

`send_message` is asked for by the messaging service when the message's row commits, with the
message id as its only argument. It is safe to run twice, concurrently or in a row: the claim
in `app.messaging.sender` lets one run send and the others stop. The providers are built once
per worker (`start_providers`) from the configuration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from arq.worker import Retry, func

from app.config import Settings
from app.core.db_errors import is_transient
from app.core.ids import try_parse_id
from app.messaging.jobs import SEND_MESSAGE
from app.messaging.providers import Providers, build_providers
from app.messaging.reconcile import reconcile_outbox
from app.messaging.sender import SendOutcome, send_message

RETRY_DELAY = dt.timedelta(seconds=5)
_PROVIDERS = "message_providers"


def start_providers(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    ctx[_PROVIDERS] = build_providers(settings.messaging)


async def stop_providers(ctx: dict[str, Any]) -> None:
    providers: Providers | None = ctx.pop(_PROVIDERS, None)
    if providers is not None:
        await providers.aclose()


async def message_job(ctx: dict[str, Any], message_id: str) -> str:
    parsed = try_parse_id(message_id)
    if parsed is None:
        return SendOutcome.MISSING.value
    try:
        return (await send_message(parsed, ctx[_PROVIDERS])).value
    except Exception as exc:
        # A deadlock or a busy SQLite before the claim or after the answer: the row says
        # where it stands, and the claim makes the re-run safe.
        if is_transient(exc):
            raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
        raise


async def reconcile_messages(ctx: dict[str, Any]) -> dict[str, int]:
    settings: Settings = ctx["settings"]
    counts = await reconcile_outbox(settings.messaging.sending_stale_seconds)
    return {"requeued": counts.requeued, "given_up": counts.given_up}


# keep_result=0: a retry or a reconcile may ask for the same message under a new id at once.
send_message_job = func(message_job, name=SEND_MESSAGE, keep_result=0, max_tries=20)
