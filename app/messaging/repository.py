"""Outbox queries: the outgoing-message rows and what their sends change.

Every write that moves a message forward is conditional on the state it moves from (a claim is
`UPDATE ... WHERE status = 'QUEUED'`), so two jobs for the same message cannot both send it:
the one whose UPDATE changed no row stops. Apart from the outbox, the one write here is the
carrier opt-out (Twilio 21610): the customer's SMS state becomes UNSUBSCRIBED with its
evidence, in the same transaction as the message's FAILED.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.functions import Count

from app.messaging.send_window import Window, organization_zone, window_from_settings
from app.messaging.throttle import rate_from_settings
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import (
    InboundMessage,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OutboxMessage,
)
from app.models.organization import Organization

REDACTED = "[erased]"


@dataclass(frozen=True)
class NewMessage:
    channel: MessageChannel
    purpose: MessagePurpose
    recipient: str
    body: str
    idempotency_key: str
    subject: str | None = None
    customer_id: uuid.UUID | None = None
    # Not sent before this instant (quiet hours): the row waits QUEUED with `next_attempt_at`.
    not_before: dt.datetime | None = None
    # A double opt-in text asked for by a customers import: counted on that import.
    import_job_id: uuid.UUID | None = None


async def insert(
    organization_id: uuid.UUID, new: NewMessage, conn: BaseDBAsyncClient | None = None
) -> tuple[OutboxMessage, bool]:
    """The message with this idempotency key, created now (True) or found (False).

    `ON CONFLICT DO NOTHING`, then a read: a duplicate never aborts the caller's transaction.
    """
    row = _row(organization_id, new)
    await OutboxMessage.bulk_create([row], ignore_conflicts=True, using_db=conn)
    stored = await OutboxMessage.get(
        organization_id=organization_id, idempotency_key=new.idempotency_key, using_db=conn
    )
    return stored, stored.id == row.id


async def insert_many(
    organization_id: uuid.UUID, news: Sequence[NewMessage], conn: BaseDBAsyncClient | None = None
) -> list[tuple[OutboxMessage, bool]]:
    """`insert` for a page of messages: one `ON CONFLICT DO NOTHING` insert, one read back by
    key; for each message (in order) its stored row and whether it was created now."""
    rows = [_row(organization_id, new) for new in news]
    await OutboxMessage.bulk_create(rows, ignore_conflicts=True, using_db=conn)
    stored = {
        m.idempotency_key: m
        for m in await OutboxMessage.filter(
            organization_id=organization_id,
            idempotency_key__in=[new.idempotency_key for new in news],
        ).using_db(conn)
    }
    found = [stored[row.idempotency_key] for row in rows]
    return [(message, message.id == row.id) for message, row in zip(found, rows, strict=True)]


def _row(organization_id: uuid.UUID, new: NewMessage) -> OutboxMessage:
    return OutboxMessage(
        organization_id=organization_id,
        customer_id=new.customer_id,
        channel=new.channel,
        purpose=new.purpose,
        recipient=new.recipient,
        subject=new.subject,
        body=new.body,
        idempotency_key=new.idempotency_key,
        next_attempt_at=new.not_before,
        import_job_id=new.import_job_id,
    )


@dataclass(frozen=True)
class NewInbound:
    provider: str
    provider_message_id: str
    from_number: str
    body: str
    customer_id: uuid.UUID | None
    intent: str


async def insert_inbound(
    organization_id: uuid.UUID, new: NewInbound, conn: BaseDBAsyncClient | None = None
) -> tuple[InboundMessage, bool]:
    """The inbound text with this provider id, stored now (True) or already (False)."""
    row = InboundMessage(
        organization_id=organization_id,
        customer_id=new.customer_id,
        provider=new.provider,
        provider_message_id=new.provider_message_id[:128],
        sender=new.from_number[:254],
        body=new.body,
        intent=new.intent,
    )
    await InboundMessage.bulk_create([row], ignore_conflicts=True, using_db=conn)
    stored = await InboundMessage.get(
        organization_id=organization_id,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        using_db=conn,
    )
    return stored, stored.id == row.id


async def latest_outbound(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    purpose: MessagePurpose,
    conn: BaseDBAsyncClient | None = None,
) -> OutboxMessage | None:
    return (
        await OutboxMessage.filter(
            organization_id=organization_id,
            customer_id=customer_id,
            purpose=purpose,
        )
        .using_db(conn)
        .order_by("-created_at", "-id")
        .first()
    )


async def sms_page(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    status: MessageStatus | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> list[OutboxMessage]:
    """Outgoing texts newest first (ids are time-ordered), those older than `before_id`."""
    query = OutboxMessage.filter(organization_id=organization_id, channel=MessageChannel.SMS)
    if customer_id is not None:
        query = query.filter(customer_id=customer_id)
    if status is not None:
        query = query.filter(status=status)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)


async def inbound_page(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> list[InboundMessage]:
    """Inbound texts newest first (ids are time-ordered), those older than `before_id`."""
    query = InboundMessage.filter(organization_id=organization_id)
    if customer_id is not None:
        query = query.filter(customer_id=customer_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)


async def get(message_id: uuid.UUID) -> OutboxMessage | None:
    return await OutboxMessage.get_or_none(id=message_id)


async def claim(message_id: uuid.UUID, now: dt.datetime) -> bool:
    """QUEUED and due -> SENDING, counting the attempt; False when another job has it."""
    changed = (
        await OutboxMessage.filter(id=message_id, status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return changed == 1


async def postpone(message_id: uuid.UUID, until: dt.datetime) -> bool:
    """A QUEUED message waits until `until` (its organization's sending rate): the claim
    refuses it before then, and the reconcile loop finds it if its deferred job is lost."""
    changed = await OutboxMessage.filter(id=message_id, status=MessageStatus.QUEUED).update(
        next_attempt_at=until
    )
    return changed == 1


@dataclass(frozen=True)
class SendingRules:
    """What the sender needs of an organization: its texts per second (0: no limit), its
    sending window and its own zone."""

    rate_per_second: int
    window: Window
    zone: ZoneInfo


async def sending_rules(organization_id: uuid.UUID) -> SendingRules:
    rows = (
        await Organization.filter(id=organization_id).limit(1).values_list("timezone", "settings")
    )
    timezone, settings = rows[0] if rows else ("UTC", None)
    return SendingRules(
        rate_from_settings(settings), window_from_settings(settings), organization_zone(timezone)
    )


@dataclass(frozen=True)
class RecipientPlace:
    country: str | None
    region: str | None
    phone: str | None


async def recipient_place(organization_id: uuid.UUID, customer_id: uuid.UUID) -> RecipientPlace:
    """What says where a customer is (for quiet hours); all None for a customer gone."""
    rows = (
        await Customer.filter(id=customer_id, organization_id=organization_id)
        .limit(1)
        .values_list("country", "region", "phone")
    )
    return RecipientPlace(*rows[0]) if rows else RecipientPlace(None, None, None)


async def _from_sending(message_id: uuid.UUID, **values: object) -> bool:
    changed = await OutboxMessage.filter(id=message_id, status=MessageStatus.SENDING).update(
        **values
    )
    return changed == 1


async def mark_accepted(
    message_id: uuid.UUID,
    provider: str,
    provider_message_id: str,
    now: dt.datetime,
    *,
    delivered: bool,
    redact_body: bool,
) -> bool:
    values: dict[str, object] = {
        "status": MessageStatus.DELIVERED if delivered else MessageStatus.SENT,
        "provider": provider,
        "provider_message_id": provider_message_id,
        "sent_at": now,
        "error_code": None,
    }
    if delivered:
        values["delivered_at"] = now
    if redact_body:
        values["body"] = REDACTED
    return await _from_sending(message_id, **values)


async def mark_failed(
    message_id: uuid.UUID, provider: str | None, code: str, conn: BaseDBAsyncClient | None = None
) -> bool:
    changed = (
        await OutboxMessage.filter(id=message_id, status=MessageStatus.SENDING)
        .using_db(conn)
        .update(status=MessageStatus.FAILED, provider=provider, error_code=code[:40])
    )
    return changed == 1


async def requeue(
    message_id: uuid.UUID, provider: str, code: str, next_attempt_at: dt.datetime
) -> bool:
    return await _from_sending(
        message_id,
        status=MessageStatus.QUEUED,
        provider=provider,
        error_code=code[:40],
        next_attempt_at=next_attempt_at,
        claimed_at=None,
    )


async def by_provider_id(provider: str, provider_message_id: str) -> OutboxMessage | None:
    return await OutboxMessage.get_or_none(
        provider=provider, provider_message_id=provider_message_id
    )


async def set_delivery(
    message_id: uuid.UUID,
    status: MessageStatus,
    *,
    from_statuses: Sequence[MessageStatus],
    error_code: str | None,
    now: dt.datetime,
    conn: BaseDBAsyncClient | None = None,
) -> bool:
    values: dict[str, object] = {"status": status}
    if status is MessageStatus.DELIVERED:
        values["delivered_at"] = now
    if error_code is not None:
        values["error_code"] = error_code[:40]
    changed = (
        await OutboxMessage.filter(id=message_id, status__in=list(from_statuses))
        .using_db(conn)
        .update(**values)
    )
    return changed == 1


async def unsubscribe_sms_at_carrier(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    provider_message_id: str | None,
    error_code: str,
    conn: BaseDBAsyncClient | None = None,
) -> bool:
    """The carrier says the number opted out: SMS UNSUBSCRIBED, with the evidence."""
    changed = (
        await Customer.filter(id=customer_id, organization_id=organization_id)
        .exclude(sms_state=SmsState.UNSUBSCRIBED)
        .using_db(conn)
        .update(sms_state=SmsState.UNSUBSCRIBED)
    )
    if changed:
        await ConsentEvent.create(
            organization_id=organization_id,
            customer_id=customer_id,
            channel=ConsentChannel.SMS,
            state=SmsState.UNSUBSCRIBED.value,
            source=ConsentSource.CARRIER,
            text=f"The provider refused a text with error {error_code}: opted out at the carrier.",
            message_id=provider_message_id,
            using_db=conn,
        )
    return changed == 1


async def sms_state(organization_id: uuid.UUID, customer_id: uuid.UUID) -> SmsState | None:
    customer = await Customer.get_or_none(id=customer_id, organization_id=organization_id).only(
        "id", "sms_state"
    )
    return customer.sms_state if customer is not None else None


async def recent(
    organization_id: uuid.UUID | None, channel: MessageChannel | None, limit: int
) -> list[OutboxMessage]:
    query = OutboxMessage.all()
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    if channel is not None:
        query = query.filter(channel=channel)
    return await query.order_by("-created_at", "-id").limit(limit)


async def due_queued(now: dt.datetime, created_before: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Queued messages whose time has come and whose job may have been lost."""
    ids = (
        await OutboxMessage.filter(status=MessageStatus.QUEUED, created_at__lte=created_before)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [uuid.UUID(str(i)) for i in ids]


async def give_up_stale_sending(
    claimed_before: dt.datetime, code: str, limit: int
) -> list[tuple[uuid.UUID, int]]:
    """SENDING rows whose worker never came back: they may have gone out, so never resent.

    Returns the (id, attempts) of the rows failed, so their jobs' remnants can be cleared.
    """
    rows = (
        await OutboxMessage.filter(status=MessageStatus.SENDING, claimed_at__lte=claimed_before)
        .order_by("claimed_at")
        .limit(limit)
        .values_list("id", "attempts")
    )
    given_up: list[tuple[uuid.UUID, int]] = []
    for message_id, attempts in rows:
        changed = await OutboxMessage.filter(
            id=message_id, status=MessageStatus.SENDING, claimed_at__lte=claimed_before
        ).update(status=MessageStatus.FAILED, error_code=code)
        if changed:
            given_up.append((uuid.UUID(str(message_id)), int(attempts)))
    return given_up


async def redact(
    organization_id: uuid.UUID,
    *,
    customer_ids: Sequence[uuid.UUID] = (),
    recipients: Sequence[str] = (),
    conn: BaseDBAsyncClient | None = None,
) -> int:
    """Erase the recipient and content of a person's messages (a privacy erasure).

    Matches by customer and by normalized recipient: verification codes are sent to
    identifiers whether or not a customer holds them.
    """
    if not customer_ids and not recipients:
        return 0
    condition = Q(customer_id__in=list(customer_ids)) | Q(recipient__in=list(recipients))
    about = OutboxMessage.filter(condition, organization_id=organization_id)
    # One still waiting is never sent: it has nobody to go to any more.
    await (
        about.filter(status=MessageStatus.QUEUED)
        .using_db(conn)
        .update(status=MessageStatus.FAILED, error_code="ERASED")
    )
    redacted: int = await about.using_db(conn).update(
        recipient=REDACTED, subject=None, body=REDACTED
    )
    inbound = InboundMessage.filter(
        Q(customer_id__in=list(customer_ids)) | Q(sender__in=list(recipients)),
        organization_id=organization_id,
    )
    redacted += await inbound.using_db(conn).update(sender=REDACTED, body=REDACTED)
    return redacted


async def import_text_counts(
    organization_id: uuid.UUID, import_job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[MessageStatus, int]]:
    """How many of each import's double opt-in texts are in each status: one grouped count
    over the `(organization_id, import_job_id, status)` index, whatever the number of imports."""
    if not import_job_ids:
        return {}
    rows = (
        await OutboxMessage.filter(
            organization_id=organization_id, import_job_id__in=list(import_job_ids)
        )
        .annotate(count=Count("id"))
        .group_by("import_job_id", "status")
        .values_list("import_job_id", "status", "count")
    )
    counts: dict[uuid.UUID, dict[MessageStatus, int]] = {}
    for job_id, status, count in rows:
        counts.setdefault(uuid.UUID(str(job_id)), {})[MessageStatus(status)] = int(count)
    return counts


async def organization_sms_settings(organization_id: uuid.UUID) -> dict[str, object]:
    """The raw `settings["sms"]` of an organization ({} when it has none or is gone)."""
    rows = await Organization.filter(id=organization_id).values_list("settings", flat=True)
    settings = rows[0] if rows else None
    raw = settings.get("sms") if isinstance(settings, dict) else None
    return dict(raw) if isinstance(raw, dict) else {}
