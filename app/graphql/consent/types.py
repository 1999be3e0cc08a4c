from __future__ import annotations

import datetime as dt

import strawberry

from app.consent.messages import Direction, SmsMessagePurpose, SmsMessageStatus, SmsMessageView

strawberry.enum(Direction, name="SmsDirection")
strawberry.enum(SmsMessageStatus)
strawberry.enum(SmsMessagePurpose)


@strawberry.type(
    name="SmsMessage",
    description="One text to or from a shopper: outgoing texts from the outbox, and replies.",
)
class SmsMessageType:
    id: strawberry.ID
    customer_id: strawberry.ID | None
    direction: Direction
    purpose: SmsMessagePurpose
    status: SmsMessageStatus
    phone: str = strawberry.field(
        description="The shopper's number: the recipient of an outgoing text, the sender of a "
        "reply ('[erased]' after an erasure)."
    )
    body: str = strawberry.field(
        description="The text as sent or received; one-time codes are never shown."
    )
    intent: str | None = strawberry.field(description="For a reply: CONFIRM, STOP, HELP or OTHER.")
    error_code: str | None
    created_at: dt.datetime = strawberry.field(description="Queued, or received.")
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None

    @classmethod
    def from_view(cls, v: SmsMessageView) -> SmsMessageType:
        return cls(
            id=strawberry.ID(str(v.id)),
            customer_id=strawberry.ID(str(v.customer_id)) if v.customer_id else None,
            direction=v.direction,
            purpose=v.purpose,
            status=v.status,
            phone=v.phone,
            body=v.body,
            intent=v.intent,
            error_code=v.error_code,
            created_at=v.created_at,
            sent_at=v.sent_at,
            delivered_at=v.delivered_at,
        )
