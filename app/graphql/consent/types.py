from __future__ import annotations

import datetime as dt

import strawberry

from app.consent.messages import Direction, SmsMessagePurpose, SmsMessageStatus, SmsMessageView
from app.consent.program import SmsProgram
from app.consent.texts import confirmation_text, help_text

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


@strawberry.type(
    name="SmsSettings",
    description="The organization's SMS sender and program: what its texts say, where they "
    "come from and when they may arrive. Unset settings show their defaults.",
)
class SmsSettingsType:
    from_number: str | None = strawberry.field(
        description="The number texts come from and shoppers reply to (E.164); null: the "
        "installation's LOYALTY_SMS_FROM."
    )
    messaging_service_sid: str | None = strawberry.field(
        description="A Twilio messaging service that picks the number; wins over fromNumber."
    )
    program_name: str
    description: str = strawberry.field(
        description='What shoppers receive: completes "Reply YES to confirm you want …".'
    )
    help_text: str | None = strawberry.field(
        description="Replaces the description in the HELP answer when set."
    )
    support_contact: str
    frequency: str = strawberry.field(description='How often, e.g. "Up to 4 msgs/month".')
    quiet_hours_start: dt.time = strawberry.field(
        description="Texts go out from this time in the recipient's zone (not before 08:00)."
    )
    quiet_hours_end: dt.time = strawberry.field(
        description="... until this time (not after 21:00)."
    )
    time_zone: str = strawberry.field(
        description="The zone of quiet hours when a recipient's own is unknown."
    )
    rate_per_second: int = strawberry.field(
        description="Texts per second the sender may take; 0: no limit."
    )
    confirmation_text: str = strawberry.field(
        description="The double opt-in text these settings produce."
    )
    help_reply: str = strawberry.field(description="The answer to HELP these settings produce.")

    @classmethod
    def from_program(cls, program: SmsProgram) -> SmsSettingsType:
        sender = program.sender
        return cls(
            from_number=program.from_number,
            messaging_service_sid=program.messaging_service_sid,
            program_name=sender.program_name,
            description=sender.description,
            help_text=sender.help_text,
            support_contact=sender.support_contact,
            frequency=sender.frequency,
            quiet_hours_start=program.window[0],
            quiet_hours_end=program.window[1],
            time_zone=program.zone.key,
            rate_per_second=program.rate_per_second,
            confirmation_text=confirmation_text(sender),
            help_reply=help_text(sender),
        )
