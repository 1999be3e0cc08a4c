"""The outbox: asking for a message, and reading the recent ones.

`enqueue_message` writes the row in the caller's transaction and asks for its send job, which
`app.core.jobs` sends only once that transaction commits (and drops if it rolls back): a
message exists before anything is sent, and nothing is sent for work that did not happen.
The caller's own service has checked the permission for what it does (an opt-in, a privacy
request); this module only scopes by the principal's organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.jobs import request_job
from app.core.transactions import atomic
from app.messaging import jobs, repository
from app.messaging.repository import NewMessage
from app.models.message import MessageChannel, MessageStatus, OutboxMessage

MAX_LISTED = 500


async def enqueue_message(principal: Principal, new: NewMessage) -> OutboxMessage:
    """The outbox row for `new.idempotency_key`, created and its send asked for if new.

    Asking again with the same key returns the first row and sends nothing more.
    """
    async with atomic() as conn:
        message, created = await repository.insert(principal.organization_id, new, conn)
        if created:
            await _request_send(message, new)
    return message


async def enqueue_messages(principal: Principal, news: Sequence[NewMessage]) -> list[OutboxMessage]:
    """`enqueue_message` for a page of messages (an import's texts): the rows in one insert,
    the send jobs of the new ones asked for when it commits."""
    if not news:
        return []
    async with atomic() as conn:
        stored = await repository.insert_many(principal.organization_id, news, conn)
        for (message, created), new in zip(stored, news, strict=True):
            if created:
                await _request_send(message, new)
    return [message for message, _ in stored]


async def _request_send(message: OutboxMessage, new: NewMessage) -> None:
    delay = None
    if new.not_before is not None and new.not_before > utcnow():
        # The claim refuses it before `next_attempt_at` anyway; the deferred job is what
        # sends it then (the reconcile loop picks it up if that job is lost).
        delay = new.not_before - utcnow()
    await request_job(jobs.send_message(message.id, delay=delay))


async def recent_messages(
    principal: Principal, channel: MessageChannel | None = None, limit: int = 20
) -> list[OutboxMessage]:
    """The organization's latest messages, newest first (bodies included: staff and the
    development CLI read them; they are never logged)."""
    principal.require(Operation.CUSTOMER_READ)
    return await repository.recent(
        principal.organization_id, channel, max(1, min(limit, MAX_LISTED))
    )


async def import_text_counts(
    principal: Principal, import_job_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[MessageStatus, int]]:
    """Per import, how many of its double opt-in texts are in each status (one grouped
    count). The imports service checked that the caller may read its imports."""
    return await repository.import_text_counts(principal.organization_id, import_job_ids)
