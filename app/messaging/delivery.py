"""Delivery reports from providers (Twilio's status callbacks) applied to outbox rows.

A report finds its message by the provider's id. Statuses only move forward: a late "sent"
never undoes "delivered", and a report for a message we never recorded (or already erased)
changes nothing. "undelivered"/"failed" after the provider took the text make it
UNDELIVERABLE with the carrier's code; 21610 there, as at send time, unsubscribes the customer.
"""

from __future__ import annotations

import uuid

from app.core.clock import utcnow
from app.core.transactions import atomic
from app.messaging import repository
from app.messaging.provider import DeliveryReport, DeliveryState
from app.models.message import MessageStatus

_S = MessageStatus
# The states each report may move a message from.
_FROM = {
    DeliveryState.SENT: (_S.SENDING,),
    DeliveryState.DELIVERED: (_S.SENDING, _S.SENT),
    DeliveryState.FAILED: (_S.SENDING, _S.SENT),
}
_TO = {
    DeliveryState.SENT: _S.SENT,
    DeliveryState.DELIVERED: _S.DELIVERED,
    DeliveryState.FAILED: _S.UNDELIVERABLE,
}


async def record_delivery(provider: str, report: DeliveryReport) -> bool:
    """Apply one report; True when it changed the message."""
    if report.state is DeliveryState.QUEUED:
        return False
    message = await repository.by_provider_id(provider, report.message_id)
    if message is None:
        return False
    async with atomic() as conn:
        changed = await repository.set_delivery(
            message.id,
            _TO[report.state],
            from_statuses=_FROM[report.state],
            error_code=report.error_code,
            now=utcnow(),
            conn=conn,
        )
        if changed and report.opted_out and message.customer_id is not None:
            await repository.unsubscribe_sms_at_carrier(
                uuid.UUID(str(message.organization_id)),
                uuid.UUID(str(message.customer_id)),
                report.message_id,
                report.error_code or "",
                conn,
            )
    return changed
