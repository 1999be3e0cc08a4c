"""Staff's view of a conversation by text: outgoing texts (the outbox) and shoppers' replies.

Both kinds in one list, newest first, paginated by id (ids are time-ordered across both
tables). The body is returned to staff who may read customers; it is never logged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest
from app.messaging import repository
from app.models.message import InboundMessage, MessagePurpose, MessageStatus, OutboxMessage

# Staff never read a one-time code: with it they could answer a shopper's privacy check.
HIDDEN_CODE = "[verification code]"


class Direction(StrEnum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


class SmsMessageStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    UNDELIVERABLE = "UNDELIVERABLE"
    # An inbound text.
    RECEIVED = "RECEIVED"


class SmsMessagePurpose(StrEnum):
    DOUBLE_OPT_IN = "DOUBLE_OPT_IN"
    CONFIRMATION = "CONFIRMATION"
    HELP = "HELP"
    STOP_CONFIRMATION = "STOP_CONFIRMATION"
    VERIFICATION_CODE = "VERIFICATION_CODE"
    EXPORT_LINK = "EXPORT_LINK"
    # An inbound text.
    REPLY = "REPLY"


@dataclass  # not frozen: the connection builder's protocol reads a settable `id`
class SmsMessageView:
    id: uuid.UUID
    customer_id: uuid.UUID | None
    direction: Direction
    purpose: SmsMessagePurpose
    status: SmsMessageStatus
    # The shopper's number: the recipient of an outgoing text, the sender of a reply.
    phone: str
    body: str
    intent: str | None
    error_code: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


def _uuid(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _outgoing(row: OutboxMessage) -> SmsMessageView:
    return SmsMessageView(
        id=uuid.UUID(str(row.id)),
        customer_id=_uuid(row.customer_id),
        direction=Direction.OUTBOUND,
        purpose=SmsMessagePurpose(row.purpose.value),
        status=SmsMessageStatus(row.status.value),
        phone=row.recipient,
        body=HIDDEN_CODE if row.purpose is MessagePurpose.VERIFICATION_CODE else row.body,
        intent=None,
        error_code=row.error_code,
        created_at=row.created_at,
        sent_at=row.sent_at,
        delivered_at=row.delivered_at,
    )


def _incoming(row: InboundMessage) -> SmsMessageView:
    return SmsMessageView(
        id=uuid.UUID(str(row.id)),
        customer_id=_uuid(row.customer_id),
        direction=Direction.INBOUND,
        purpose=SmsMessagePurpose.REPLY,
        status=SmsMessageStatus.RECEIVED,
        phone=row.sender,
        body=row.body,
        intent=row.intent,
        error_code=None,
        created_at=row.received_at,
        sent_at=None,
        delivered_at=None,
    )


async def sms_messages(
    principal: Principal,
    request: PageRequest,
    *,
    customer_id: uuid.UUID | None = None,
    status: SmsMessageStatus | None = None,
) -> Page[SmsMessageView]:
    """The organization's texts, both ways; `status` RECEIVED means replies only."""
    principal.require(Operation.CUSTOMER_READ)
    org_id = principal.organization_id
    limit = request.first + 1
    views: list[SmsMessageView] = []
    if status is not SmsMessageStatus.RECEIVED:
        outbound_status = MessageStatus(status.value) if status is not None else None
        rows = await repository.sms_page(org_id, customer_id, outbound_status, request.after, limit)
        views.extend(_outgoing(row) for row in rows)
    if status is None or status is SmsMessageStatus.RECEIVED:
        replies = await repository.inbound_page(org_id, customer_id, request.after, limit)
        views.extend(_incoming(row) for row in replies)
    views.sort(key=lambda view: view.id, reverse=True)
    return Page.from_overfetch(views[:limit], request)
