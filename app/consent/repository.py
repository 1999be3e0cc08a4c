"""Queries of the SMS consent loop: whom to text, which organization a text reached, and the
consent changes replies and the lapse make (each with its evidence row)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery

from app.consent.program import SmsProgram, sms_program
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from app.models.customer import Customer, CustomerStatus, SmsState
from app.models.organization import Organization

# Merged customers' identifiers moved to their survivor; erased ones have none left.
_TEXTABLE_STATUSES = (CustomerStatus.ACTIVE, CustomerStatus.ARCHIVED)


async def program(organization_id: uuid.UUID) -> SmsProgram | None:
    org = await Organization.get_or_none(id=organization_id)
    return None if org is None else sms_program(org.name, org.timezone, org.settings)


async def organizations_for_number(addressed_to: tuple[str, ...]) -> list[uuid.UUID]:
    """Organizations whose configured number or messaging service is one of `addressed_to`.

    JSON filtering differs between SQLite and PostgreSQL, so the (few) organizations are read
    and compared here.
    """
    found = []
    for org_id, name, timezone, settings in await Organization.all().values_list(
        "id", "name", "timezone", "settings"
    ):
        if set(sms_program(name, timezone, settings or {}).addresses) & set(addressed_to):
            found.append(uuid.UUID(str(org_id)))
    return found


async def only_organization() -> uuid.UUID | None:
    ids = await Organization.all().limit(2).values_list("id", flat=True)
    return uuid.UUID(str(ids[0])) if len(ids) == 1 else None


async def textable_customer(
    organization_id: uuid.UUID, customer_id: uuid.UUID, conn: BaseDBAsyncClient | None = None
) -> Customer | None:
    return (
        await Customer.filter(
            id=customer_id, organization_id=organization_id, status__in=_TEXTABLE_STATUSES
        )
        .using_db(conn)
        .first()
    )


async def customer_by_phone(
    organization_id: uuid.UUID, phone: str, conn: BaseDBAsyncClient | None = None
) -> Customer | None:
    return (
        await Customer.filter(
            organization_id=organization_id, phone=phone, status__in=_TEXTABLE_STATUSES
        )
        .using_db(conn)
        .select_for_update()
        .first()
    )


async def latest_sms_event(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    state: SmsState,
    conn: BaseDBAsyncClient | None = None,
) -> ConsentEvent | None:
    return (
        await ConsentEvent.filter(
            organization_id=organization_id,
            customer_id=customer_id,
            channel=ConsentChannel.SMS,
            state=state.value,
        )
        .using_db(conn)
        .order_by("-created_at", "-id")
        .first()
    )


async def change_sms_state(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    from_states: Sequence[SmsState],
    to_state: SmsState,
    source: ConsentSource,
    text: str | None,
    message_id: str | None,
    conn: BaseDBAsyncClient,
) -> ConsentEvent | None:
    """Move the customer's SMS state if it is one of `from_states`; the evidence row, or None
    when the state was not one of them (nothing changed)."""
    changed = (
        await Customer.filter(
            id=customer_id, organization_id=organization_id, sms_state__in=list(from_states)
        )
        .using_db(conn)
        .update(sms_state=to_state)
    )
    if not changed:
        return None
    return await ConsentEvent.create(
        organization_id=organization_id,
        customer_id=customer_id,
        channel=ConsentChannel.SMS,
        state=to_state.value,
        source=source,
        text=text,
        message_id=message_id[:128] if message_id else None,
        using_db=conn,
    )


async def lapsed_pending(before: dt.datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, customer) of PENDING customers with no PENDING request since `before`."""
    recent = ConsentEvent.filter(
        channel=ConsentChannel.SMS, state=SmsState.PENDING.value, created_at__gte=before
    ).values("customer_id")
    rows = (
        await Customer.filter(sms_state=SmsState.PENDING)
        .exclude(id__in=Subquery(recent))
        .limit(limit)
        .values_list("organization_id", "id")
    )
    return [(uuid.UUID(str(org)), uuid.UUID(str(cid))) for org, cid in rows]


async def pending_from_import(
    organization_id: uuid.UUID, import_job_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Customers an import put in PENDING who are still PENDING, by id from `after`.

    The import records its consent changes with the text `import:<job id>`.
    """
    events = ConsentEvent.filter(
        organization_id=organization_id,
        channel=ConsentChannel.SMS,
        state=SmsState.PENDING.value,
        source=ConsentSource.IMPORT,
        text=f"import:{import_job_id}",
    ).values("customer_id")
    query = Customer.filter(
        organization_id=organization_id,
        sms_state=SmsState.PENDING,
        status__in=_TEXTABLE_STATUSES,
        id__in=Subquery(events),
    )
    if after is not None:
        query = query.filter(id__gt=after)
    ids = await query.order_by("id").limit(limit).values_list("id", flat=True)
    return [uuid.UUID(str(i)) for i in ids]


async def stopped_by_shopper(
    organization_id: uuid.UUID, customer_id: uuid.UUID, before: dt.datetime
) -> bool:
    """Whether the customer's last SMS change before `before` was a STOP of their own (a
    reply, or an opt-out at the carrier): only the shopper may undo that."""
    last = (
        await ConsentEvent.filter(
            organization_id=organization_id,
            customer_id=customer_id,
            channel=ConsentChannel.SMS,
            created_at__lt=before,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return last is not None and is_shoppers_stop(last)


def is_shoppers_stop(event: ConsentEvent) -> bool:
    """Whether this SMS change was a STOP of the shopper's own (a reply, or an opt-out at the
    carrier)."""
    return event.state == SmsState.UNSUBSCRIBED.value and event.source in (
        ConsentSource.SMS_REPLY,
        ConsentSource.CARRIER,
    )


async def textable_customers(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> list[Customer]:
    """The customers of a page that may still be texted (merged or erased ones are not)."""
    return await Customer.filter(
        id__in=list(customer_ids), organization_id=organization_id, status__in=_TEXTABLE_STATUSES
    )


async def sms_histories(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentEvent]]:
    """Each customer's SMS consent events, newest first (one query for a page): enough to
    find the latest PENDING request and the change before it (`latest_sms_event`,
    `stopped_by_shopper`) without a query per customer."""
    events = await ConsentEvent.filter(
        organization_id=organization_id,
        customer_id__in=list(customer_ids),
        channel=ConsentChannel.SMS,
    ).order_by("-created_at", "-id")
    histories: dict[uuid.UUID, list[ConsentEvent]] = {}
    for event in events:
        histories.setdefault(uuid.UUID(str(event.customer_id)), []).append(event)
    return histories
