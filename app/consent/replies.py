"""What a shopper's text does: store it once, then act on its keyword.

Called by the inbound webhook after the signature was checked. Everything happens in one
transaction, starting with storing the text under the provider's message id: a replayed
webhook finds the text already stored and changes nothing, and a crash part-way leaves
nothing to replay over.

- CONFIRM (YES, Y, START, UNSTOP): PENDING -> SUBSCRIBED, and UNSUBSCRIBED -> SUBSCRIBED (only
  the shopper's own text resubscribes after a STOP), with the evidence: source SMS_REPLY, the
  text that was confirmed, the reply and both message ids. From NOT_SUBSCRIBED nothing was
  asked, so nothing changes.
- STOP family: any other state -> UNSUBSCRIBED at once, and the one STOP confirmation (keyed
  by that evidence row: a second STOP finds the customer UNSUBSCRIBED and sends nothing).
- HELP, INFO: the HELP text, keyed by the inbound message id.
- anything else: stored, nothing changes.

The body is never logged: only the intent and whether the sender is a customer.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.consent import repository
from app.consent.keywords import ReplyIntent, parse_reply
from app.consent.program import SmsProgram
from app.consent.texts import help_text, stop_text
from app.core.transactions import atomic
from app.messaging import repository as messages
from app.messaging.repository import NewInbound, NewMessage
from app.messaging.service import enqueue_message
from app.models.consent import ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessageChannel, MessagePurpose

logger = logging.getLogger("app.consent")


class ReplyOutcome(StrEnum):
    SUBSCRIBED = "SUBSCRIBED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    HELP_SENT = "HELP_SENT"
    STORED = "STORED"
    # The same provider message id was handled before.
    REPLAYED = "REPLAYED"
    # No organization sends from the number the text was sent to.
    UNKNOWN_NUMBER = "UNKNOWN_NUMBER"


@dataclass(frozen=True)
class Inbound:
    provider: str
    message_id: str
    from_number: str
    to_number: str
    body: str
    messaging_service_id: str | None = None

    @property
    def addressed_to(self) -> tuple[str, ...]:
        """The sender identities this text reached: our number and the messaging service."""
        return tuple(v for v in (self.to_number, self.messaging_service_id) if v)


async def organization_for(
    text: Inbound, default_senders: tuple[str | None, ...]
) -> uuid.UUID | None:
    """The organization a text belongs to.

    The organization whose SMS settings name the number (or messaging service) it was sent
    to; failing that, the only organization of an installation whose configured sender
    (`LOYALTY_SMS_FROM` or `LOYALTY_SMS_MESSAGING_SERVICE`) it was sent to. Two organizations
    naming the same number is ambiguous: nobody's consent is changed.
    """
    matches = await repository.organizations_for_number(text.addressed_to)
    if len(matches) == 1:
        return matches[0]
    if not matches and any(s and s in text.addressed_to for s in default_senders):
        return await repository.only_organization()
    return None


async def _confirm(
    org_id: uuid.UUID, customer: Customer, text: Inbound, conn: BaseDBAsyncClient
) -> ReplyOutcome:
    asked = await messages.latest_outbound(org_id, customer.id, MessagePurpose.DOUBLE_OPT_IN, conn)
    confirmed = asked.body if asked is not None else "(no confirmation text on record)"
    asked_id = (asked.provider_message_id or f"outbox:{asked.id}") if asked else "none"
    event = await repository.change_sms_state(
        org_id,
        customer.id,
        from_states=(SmsState.PENDING, SmsState.UNSUBSCRIBED),
        to_state=SmsState.SUBSCRIBED,
        source=ConsentSource.SMS_REPLY,
        text=f"Replied {text.body.strip()[:64]!r} to: {confirmed}",
        message_id=f"{text.message_id} re {asked_id}",
        conn=conn,
    )
    return ReplyOutcome.SUBSCRIBED if event is not None else ReplyOutcome.STORED


async def _stop(
    principal: Principal,
    customer: Customer,
    program: SmsProgram,
    text: Inbound,
    conn: BaseDBAsyncClient,
) -> ReplyOutcome:
    event = await repository.change_sms_state(
        principal.organization_id,
        customer.id,
        from_states=(SmsState.NOT_SUBSCRIBED, SmsState.PENDING, SmsState.SUBSCRIBED),
        to_state=SmsState.UNSUBSCRIBED,
        source=ConsentSource.SMS_REPLY,
        text=f"Replied {text.body.strip()[:64]!r}.",
        message_id=text.message_id,
        conn=conn,
    )
    if event is None:
        return ReplyOutcome.STORED
    await enqueue_message(
        principal,
        NewMessage(
            channel=MessageChannel.SMS,
            purpose=MessagePurpose.STOP_CONFIRMATION,
            recipient=text.from_number,
            body=stop_text(program.sender),
            idempotency_key=f"sms-stop:{customer.id}:{event.id}",
            customer_id=customer.id,
        ),
    )
    return ReplyOutcome.UNSUBSCRIBED


async def _help(
    principal: Principal, customer: Customer | None, program: SmsProgram, text: Inbound
) -> ReplyOutcome:
    await enqueue_message(
        principal,
        NewMessage(
            channel=MessageChannel.SMS,
            purpose=MessagePurpose.HELP,
            recipient=text.from_number,
            body=help_text(program.sender),
            idempotency_key=f"sms-help:{text.provider}:{text.message_id}",
            customer_id=customer.id if customer is not None else None,
        ),
    )
    return ReplyOutcome.HELP_SENT


async def handle_inbound(
    text: Inbound, default_senders: tuple[str | None, ...] = ()
) -> ReplyOutcome:
    org_id = await organization_for(text, default_senders)
    program = await repository.program(org_id) if org_id is not None else None
    if org_id is None or program is None:
        logger.info("consent.reply outcome=%s", ReplyOutcome.UNKNOWN_NUMBER.value)
        return ReplyOutcome.UNKNOWN_NUMBER
    principal = Principal.system(org_id)
    intent = parse_reply(text.body)
    async with atomic() as conn:
        customer = await repository.customer_by_phone(org_id, text.from_number, conn)
        _, created = await messages.insert_inbound(
            org_id,
            NewInbound(
                provider=text.provider,
                provider_message_id=text.message_id,
                from_number=text.from_number,
                body=text.body,
                customer_id=customer.id if customer is not None else None,
                intent=intent.value,
            ),
            conn,
        )
        if not created:
            outcome = ReplyOutcome.REPLAYED
        elif intent is ReplyIntent.HELP:
            outcome = await _help(principal, customer, program, text)
        elif customer is None or intent is ReplyIntent.OTHER:
            outcome = ReplyOutcome.STORED
        elif intent is ReplyIntent.CONFIRM:
            outcome = await _confirm(org_id, customer, text, conn)
        else:
            outcome = await _stop(principal, customer, program, text, conn)
    logger.info(
        "consent.reply intent=%s outcome=%s known_customer=%s",
        intent.value,
        outcome.value,
        customer is not None,
    )
    return outcome
