"""The SQL of privacy requests: the request rows, and what erasure and export read and rewrite
in the other domains' tables (one place, so what an erasure touches can be read at a glance)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.models.audit import AuditEvent
from app.models.consent import ConsentEvent
from app.models.customer import Customer, CustomerStatus
from app.models.duplicates import (
    DuplicateSuggestion,
    DuplicateSuggestionMember,
    PlaceholderIdentifier,
)
from app.models.imports import ImportJob, ImportRowError
from app.models.merge import CustomerAlias, CustomerMerge, CustomerMergeMember
from app.models.order import Order, OrderItem
from app.models.persona import Persona, PersonaAssignment, PersonaSet
from app.models.privacy_request import (
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
)
from app.models.wallet import LedgerEntry

OPEN_STATUSES = (
    PrivacyRequestStatus.RECEIVED,
    PrivacyRequestStatus.VERIFIED,
    PrivacyRequestStatus.RUNNING,
)


async def create(conn: BaseDBAsyncClient, **values: Any) -> PrivacyRequest:
    return await PrivacyRequest.create(using_db=conn, **values)


async def get(organization_id: uuid.UUID, request_id: uuid.UUID) -> PrivacyRequest | None:
    return await PrivacyRequest.get_or_none(id=request_id, organization_id=organization_id)


async def lock(request_id: uuid.UUID, conn: BaseDBAsyncClient) -> PrivacyRequest | None:
    """The request row, locked until the transaction ends (SQLite: one writer anyway)."""
    query = PrivacyRequest.filter(id=request_id).using_db(conn)
    if conn.capabilities.dialect == "postgres":
        query = query.select_for_update()
    return await query.first()


async def save(request: PrivacyRequest, fields: Sequence[str], conn: BaseDBAsyncClient) -> None:
    await request.save(update_fields=[*fields, "updated_at"], using_db=conn)


async def open_of_customer(
    organization_id: uuid.UUID, customer_id: uuid.UUID, kind: PrivacyRequestKind
) -> PrivacyRequest | None:
    return await PrivacyRequest.filter(
        organization_id=organization_id,
        customer_id=customer_id,
        kind=kind,
        status__in=OPEN_STATUSES,
    ).first()


def listed(
    organization_id: uuid.UUID,
    status: PrivacyRequestStatus | None,
    overdue_at: dt.datetime | None,
) -> Any:
    query = PrivacyRequest.filter(organization_id=organization_id)
    if status is not None:
        query = query.filter(status=status)
    if overdue_at is not None:
        query = query.filter(status__in=OPEN_STATUSES, due_at__lt=overdue_at)
    return query


async def unfinished(
    organization_id: uuid.UUID, started_before: dt.datetime, limit: int
) -> list[PrivacyRequest]:
    """Requests a worker should be carrying out and is not (lost job, killed worker)."""
    return (
        await PrivacyRequest.filter(
            organization_id=organization_id,
            status__in=(PrivacyRequestStatus.VERIFIED, PrivacyRequestStatus.RUNNING),
            updated_at__lt=started_before,
        )
        .order_by("updated_at")
        .limit(limit)
    )


async def expired_exports(
    organization_id: uuid.UUID, now: dt.datetime, limit: int
) -> list[PrivacyRequest]:
    return (
        await PrivacyRequest.filter(
            organization_id=organization_id, export_file__isnull=False, export_expires_at__lt=now
        )
        .order_by("export_expires_at")
        .limit(limit)
    )


async def export_by_token(token_sha256: str) -> PrivacyRequest | None:
    return await PrivacyRequest.get_or_none(export_token_sha256=token_sha256)


async def export_files_of(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> list[PrivacyRequest]:
    return await PrivacyRequest.filter(
        organization_id=organization_id, customer_id__in=customer_ids, export_file__isnull=False
    )


async def customer_row(organization_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    """The row whatever its status (erased and merged ones included)."""
    return await Customer.get_or_none(id=customer_id, organization_id=organization_id)


# --- erasure -------------------------------------------------------------------------------


async def merged_into(
    organization_id: uuid.UUID, survivor_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> list[Customer]:
    """The customers folded into these ones (one level; the caller follows the chain)."""
    return await Customer.filter(
        organization_id=organization_id,
        merged_into_id__in=survivor_ids,
        status=CustomerStatus.MERGED,
    ).using_db(conn)


async def lock_customers(
    organization_id: uuid.UUID, ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> list[Customer]:
    """Rows locked in id order, so two erasures touching one chain never deadlock."""
    query = Customer.filter(organization_id=organization_id, id__in=ids).using_db(conn)
    if conn.capabilities.dialect == "postgres":
        query = query.select_for_update()
    return await query.order_by("id")


async def delink_orders(customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient) -> int:
    changed: int = (
        await Order.filter(customer_id__in=customer_ids).using_db(conn).update(customer_id=None)
    )
    return changed


async def strip_consent_evidence(
    customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> None:
    # What stays is the minimal proof: channel, state, source and time.
    await ConsentEvent.filter(customer_id__in=customer_ids).using_db(conn).update(text=None)


async def drop_persona_assignments(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> None:
    # By (persona set, customer), the key assignments are indexed on: by customer alone this
    # would read every assignment of every organization, once per erasure.
    sets = (
        await PersonaSet.filter(organization_id=organization_id)
        .using_db(conn)
        .values_list("id", flat=True)
    )
    if sets:
        await (
            PersonaAssignment.filter(persona_set_id__in=sets, customer_id__in=customer_ids)
            .using_db(conn)
            .delete()
        )


async def import_files(organization_id: uuid.UUID) -> list[ImportJob]:
    """Jobs whose uploaded file may still be on disk."""
    return await ImportJob.filter(organization_id=organization_id).exclude(file_path="")


async def purge_row_errors_mentioning(
    organization_id: uuid.UUID, needles: Sequence[str], conn: BaseDBAsyncClient
) -> int:
    """Row errors never quote a cell, by rule; this removes any that would anyway (one pass
    over the organization's row errors for all the identifiers)."""
    if not needles:
        return 0
    mentions = Q(*(Q(message__icontains=needle) for needle in needles), join_type=Q.OR)
    purged: int = await (
        ImportRowError.filter(job__organization_id=organization_id)
        .filter(mentions)
        .using_db(conn)
        .delete()
    )
    return purged


async def take_aliases(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> list[CustomerAlias]:
    """The old identifiers that led to these customers (or were theirs), deleted: an erased
    person's identifiers must lead nowhere. Returned so they are blocked and purged too."""
    ids = list(customer_ids)
    query = CustomerAlias.filter(organization_id=organization_id).filter(
        Q(customer_id__in=ids) | Q(former_customer_id__in=ids)
    )
    aliases = await query.using_db(conn)
    if aliases:
        await CustomerAlias.filter(id__in=[a.id for a in aliases]).using_db(conn).delete()
    return aliases


async def forget_merge_snapshots(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> None:
    """Merge records keep who took part and what moved, not the people's fields: an erased
    customer's merges cannot be undone any more (unmerge refuses an erased customer)."""
    merge_ids = await (
        CustomerMergeMember.filter(customer_id__in=list(customer_ids))
        .using_db(conn)
        .values_list("merge_id", flat=True)
    )
    if merge_ids:
        await (
            CustomerMerge.filter(organization_id=organization_id, id__in=list(merge_ids))
            .using_db(conn)
            .update(snapshots={}, field_choices={})
        )


async def drop_duplicate_traces(
    organization_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID],
    identifiers: Sequence[str],
    conn: BaseDBAsyncClient,
) -> None:
    """Suggestions naming the person go (the next recompute leaves them out anyway), and so
    does a recorded placeholder equal to one of their identifiers."""
    suggestion_ids = await (
        DuplicateSuggestionMember.filter(customer_id__in=list(customer_ids))
        .using_db(conn)
        .values_list("suggestion_id", flat=True)
    )
    if suggestion_ids:
        ids = list(suggestion_ids)
        await DuplicateSuggestionMember.filter(suggestion_id__in=ids).using_db(conn).delete()
        await DuplicateSuggestion.filter(id__in=ids).using_db(conn).delete()
    if identifiers:
        await (
            PlaceholderIdentifier.filter(
                organization_id=organization_id, value__in=list(identifiers)
            )
            .using_db(conn)
            .delete()
        )


# --- export --------------------------------------------------------------------------------


async def consent_events(customer_ids: Sequence[uuid.UUID]) -> list[ConsentEvent]:
    return await ConsentEvent.filter(customer_id__in=customer_ids).order_by("created_at", "id")


async def ledger(customer_ids: Sequence[uuid.UUID]) -> list[LedgerEntry]:
    return await LedgerEntry.filter(customer_id__in=customer_ids).order_by("created_at", "id")


async def orders(customer_ids: Sequence[uuid.UUID]) -> list[Order]:
    return await Order.filter(customer_id__in=customer_ids).order_by("placed_at", "id")


async def order_items(order_ids: Sequence[uuid.UUID]) -> list[OrderItem]:
    return await OrderItem.filter(order_id__in=order_ids).order_by("id")


async def merges_of(customer_ids: Sequence[uuid.UUID]) -> list[CustomerMerge]:
    merge_ids = await CustomerMergeMember.filter(customer_id__in=list(customer_ids)).values_list(
        "merge_id", flat=True
    )
    return await CustomerMerge.filter(id__in=list(set(merge_ids))).order_by("created_at")


async def audit_about(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> list[AuditEvent]:
    return await AuditEvent.filter(
        organization_id=organization_id, subject_id__in=customer_ids
    ).order_by("created_at", "id")


async def current_persona_name(organization_id: uuid.UUID, customer_id: uuid.UUID) -> str | None:
    current = await PersonaSet.filter(organization_id=organization_id, is_current=True).first()
    if current is None:
        return None
    assignment = await PersonaAssignment.filter(
        persona_set_id=current.id, customer_id=customer_id
    ).first()
    if assignment is None:
        return None
    persona = await Persona.filter(
        persona_set_id=current.id, identity_id=assignment.persona_identity_id
    ).first()
    return persona.name if persona is not None else None
