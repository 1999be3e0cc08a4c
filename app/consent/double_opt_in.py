"""The double opt-in text: asked for when a customer's SMS state becomes PENDING.

One text per consent request: the idempotency key names the customer and the PENDING
evidence row, so saving the customer again, or a retried import batch, finds the same row
and sends nothing more, while a new request after a STOP or a lapse gets its own text.
The text waits for the recipient's sending window (quiet hours): its row is QUEUED with
`next_attempt_at` at the next opening and its job deferred to then.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from app.auth.principal import Principal
from app.consent import repository
from app.consent.program import SmsProgram
from app.consent.texts import confirmation_text
from app.core.clock import utcnow
from app.core.ids import try_parse_id
from app.messaging.repository import NewMessage
from app.messaging.send_window import recipient_send_time
from app.messaging.service import enqueue_message, enqueue_messages
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessageChannel, MessagePurpose, OutboxMessage

logger = logging.getLogger("app.consent")


def send_time(customer: Customer, program: SmsProgram, now: dt.datetime) -> dt.datetime:
    """When a text to this customer may go out: now, or the next opening of their window."""
    return recipient_send_time(
        now,
        country=customer.country,
        region=customer.region,
        phone=customer.phone,
        organization_zone=program.zone,
        window=program.window,
    )


# An import records the consent changes it makes with this text (`app.imports.records`).
_IMPORT_PREFIX = "import:"


def _import_of(request: ConsentEvent) -> uuid.UUID | None:
    """The customers import that made this PENDING request, if one did: its text is counted
    on that import (`ImportJob.sms`)."""
    text = request.text or ""
    if request.source is not ConsentSource.IMPORT or not text.startswith(_IMPORT_PREFIX):
        return None
    return try_parse_id(text.removeprefix(_IMPORT_PREFIX))


async def request_confirmation(
    principal: Principal, customer_id: uuid.UUID, now: dt.datetime | None = None
) -> OutboxMessage | None:
    """Queue the confirmation text for a PENDING customer; None when none is due."""
    org_id = principal.organization_id
    customer = await repository.textable_customer(org_id, customer_id)
    if customer is None or customer.sms_state is not SmsState.PENDING or not customer.phone:
        return None
    program = await repository.program(org_id)
    request = await repository.latest_sms_event(org_id, customer_id, SmsState.PENDING)
    if program is None or request is None:
        return None
    if await repository.stopped_by_shopper(org_id, customer_id, request.created_at):
        # After the shopper's STOP only their own START or YES brings texts back: staff or an
        # import asking again must not text them (the request lapses unanswered).
        logger.info("consent.double_opt_in_refused reason=STOPPED_BY_SHOPPER")
        return None
    text = _confirmation(customer, customer.phone, request, program, now or utcnow())
    message = await enqueue_message(principal, text)
    logger.info("consent.double_opt_in_queued deferred=%s", text.not_before is not None)
    return message


def _confirmation(
    customer: Customer, phone: str, request: ConsentEvent, program: SmsProgram, now: dt.datetime
) -> NewMessage:
    """The confirmation text of one PENDING request, keyed by it, at the recipient's next
    opening."""
    due = send_time(customer, program, now)
    return NewMessage(
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.DOUBLE_OPT_IN,
        recipient=phone,
        body=confirmation_text(program.sender),
        idempotency_key=f"sms-opt-in:{customer.id}:{request.id}",
        customer_id=customer.id,
        not_before=due if due > now else None,
        import_job_id=_import_of(request),
    )


_IMPORT_BATCH = 500


def _stopped_before(history: list[ConsentEvent], request: ConsentEvent) -> bool:
    """`repository.stopped_by_shopper` over a history already read (newest first)."""
    last = next((e for e in history if e.created_at < request.created_at), None)
    return last is not None and repository.is_shoppers_stop(last)


def _page_texts(
    customers: list[Customer],
    histories: dict[uuid.UUID, list[ConsentEvent]],
    program: SmsProgram,
    now: dt.datetime,
) -> tuple[list[NewMessage], int]:
    """The texts due for a page of customers, by the rules of `request_confirmation`, and how
    many were refused because the shopper had sent STOP."""
    texts, stopped = [], 0
    for customer in customers:
        if customer.sms_state is not SmsState.PENDING or not customer.phone:
            continue
        history = histories.get(customer.id, [])
        request = next((e for e in history if e.state == SmsState.PENDING.value), None)
        if request is None:
            continue
        if _stopped_before(history, request):
            stopped += 1
            continue
        texts.append(_confirmation(customer, customer.phone, request, program, now))
    return texts, stopped


async def request_for_import(principal: Principal, import_job_id: uuid.UUID) -> int:
    """Queue the texts of every customer the import put in PENDING (and who still is); the
    number asked for. Safe to run again: each text's key makes a repeat a no-op.

    A page of customers at a time, with the same rules as `request_confirmation` but set-based:
    the program read once, the page's customers and SMS histories in two queries, the send
    times computed here, the rows in one insert and their send jobs asked for on commit.
    """
    org_id = principal.organization_id
    program = await repository.program(org_id)
    if program is None:
        return 0
    asked, stopped, after = 0, 0, None
    while ids := await repository.pending_from_import(org_id, import_job_id, after, _IMPORT_BATCH):
        customers = await repository.textable_customers(org_id, ids)
        histories = await repository.sms_histories(org_id, ids)
        texts, refused = _page_texts(customers, histories, program, utcnow())
        asked += len(await enqueue_messages(principal, texts))
        stopped += refused
        after = ids[-1]
    if stopped:
        # After the shopper's STOP only their own START or YES brings texts back.
        logger.info("consent.double_opt_in_refused reason=STOPPED_BY_SHOPPER count=%s", stopped)
    logger.info("consent.import_opt_ins_queued count=%s", asked)
    return asked
