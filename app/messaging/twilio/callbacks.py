"""Reading the forms Twilio posts to us: delivery-status callbacks and inbound texts.

Call these only after `verify_signature` accepted the request. A form that is not what Twilio
sends is refused with a `CallbackInvalid` that names the field, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.messaging.provider import DeliveryReport, DeliveryState
from app.messaging.twilio.errors import OPTED_OUT

# Twilio's message statuses (the Message resource's `status` enum) in our words. "read" comes
# from channels with read receipts; it is a delivered text.
_STATES = {
    "accepted": DeliveryState.QUEUED,
    "scheduled": DeliveryState.QUEUED,
    "queued": DeliveryState.QUEUED,
    "sending": DeliveryState.QUEUED,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "partially_delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.FAILED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}


class CallbackErrorCode(StrEnum):
    MISSING_FIELD = "MISSING_FIELD"
    UNKNOWN_STATUS = "UNKNOWN_STATUS"


class CallbackInvalid(Exception):
    def __init__(self, code: CallbackErrorCode, field: str) -> None:
        super().__init__(f"{code.value}: {field}")
        self.code = code
        self.field = field


@dataclass(frozen=True)
class InboundText:
    message_id: str
    from_number: str
    to_number: str
    body: str
    messaging_service_id: str | None = None


def _required(form: Mapping[str, str], *names: str) -> str:
    # Older callbacks carry SmsSid/SmsStatus, newer ones MessageSid/MessageStatus, often both.
    for name in names:
        value = form.get(name, "").strip()
        if value:
            return value
    raise CallbackInvalid(CallbackErrorCode.MISSING_FIELD, names[0])


def parse_status_callback(form: Mapping[str, str]) -> DeliveryReport:
    message_id = _required(form, "MessageSid", "SmsSid")
    status = _required(form, "MessageStatus", "SmsStatus").lower()
    state = _STATES.get(status)
    if state is None:
        raise CallbackInvalid(CallbackErrorCode.UNKNOWN_STATUS, "MessageStatus")
    error_code = form.get("ErrorCode", "").strip() or None
    return DeliveryReport(
        message_id=message_id,
        state=state,
        error_code=error_code,
        opted_out=error_code == str(OPTED_OUT),
    )


def parse_inbound_text(form: Mapping[str, str]) -> InboundText:
    return InboundText(
        message_id=_required(form, "MessageSid", "SmsSid"),
        from_number=_required(form, "From"),
        to_number=_required(form, "To"),
        # An empty body is a real text (a picture with no words), not a malformed form.
        body=form.get("Body", ""),
        messaging_service_id=form.get("MessagingServiceSid") or None,
    )
