"""Merging duplicates into a survivor, and undoing a merge exactly.

Both run in one transaction that first locks every customer involved (in id order: two
merges sharing a customer queue, never deadlock) and re-checks their status under the lock,
so of two concurrent merges of the same customer the second gets a typed error.

What a merge does (the plan itself is `rules.plan_merge`, pure):
- points move through the ledger (`wallets.ledger.transfer_lots`): a MERGE_OUT empties each
  merged wallet, MERGE_IN credits the survivor one entry per expiry date; then the merged
  customer's orders, ledger entries (its MERGE_OUT included) and consent events are re-pointed
  to the survivor, and their ids kept in the merge record, with the lifetime points they carry;
- merged rows become MERGED (pointing at the survivor) and give up their identifiers, which
  become aliases of the survivor; the survivor takes the plan's values;
- a snapshot of every customer before, and of the survivor after, is kept for the unmerge.

An unmerge gives back exactly what moved (by id), the unspent points of the MERGE_IN lots
with UNMERGE entries, restores each merged customer from its snapshot, and on the survivor
restores each value the merge changed that nobody changed since.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.identifiers import name_key
from app.core.ids import new_id
from app.core.jobs import request_job
from app.core.keyset import sorted_page
from app.core.pagination import Page
from app.core.sorting import SortedPageRequest
from app.core.transactions import atomic
from app.customers.fields import birthday_monthday
from app.customers.repository import visibility
from app.lifecycle.jobs import segment_refresh
from app.lifecycle.rules import stage_for
from app.merges import repository
from app.merges.errors import MergeErrorCode as Code
from app.merges.records import MERGED_FIELDS, MergePlan
from app.merges.rules import check_merge_ids, plan_merge
from app.merges.snapshot import (
    IDENTIFIER_COLUMNS,
    PROFILE_FIELDS,
    RESTORED_FIELDS,
    SEGMENT_FIELDS,
    STATS_FIELDS,
    Snapshot,
    merge_customer,
    restore,
    snapshot_of,
)
from app.models.audit import AuditAction
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from app.models.customer import Customer, CustomerStatus, SmsState
from app.models.merge import AliasKind, CustomerAlias, CustomerMerge
from app.models.wallet import LedgerKind
from app.organizations.profile import load_program
from app.wallets.ledger import transfer_lots

_SURVIVOR_RESTORABLE = (*PROFILE_FIELDS, *SEGMENT_FIELDS)
_MERGED_STATE = ("status", "merged_into_id", *IDENTIFIER_COLUMNS, *STATS_FIELDS)
_CONSENT_COLUMNS = (
    (ConsentChannel.EMAIL, "email_opt_in"),
    (ConsentChannel.SMS, "sms_state"),
    (ConsentChannel.PUSH, "push_opt_in"),
)


@dataclass(frozen=True)
class MergeRequest:
    survivor_id: uuid.UUID
    merged_ids: Sequence[uuid.UUID]
    dry_run: bool = False
    # A field or `traits.<key>` -> the customer (survivor or merged) whose value to keep.
    field_choices: Mapping[str, uuid.UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class MergeOutcome:
    # None for a dry run, which writes nothing.
    merge: CustomerMerge | None
    # The survivor as the merge leaves it (for a dry run: as it would, never saved).
    customer: Customer
    provenance: Mapping[str, uuid.UUID]


def _refuse(code: Code, message: str, field_name: str | None = None) -> DomainError:
    return DomainError(code, message, field_name)


def _check_rows(
    rows: Mapping[uuid.UUID, Customer], survivor_id: uuid.UUID, merged_ids: Sequence[uuid.UUID]
) -> None:
    for customer_id, field_name in [
        (survivor_id, "survivorId"),
        *((m, "mergedIds") for m in merged_ids),
    ]:
        row = rows.get(customer_id)
        if row is None:
            raise _refuse(Code.CUSTOMER_NOT_FOUND, "No such customer.", field_name)
        if row.status is CustomerStatus.ERASED:
            raise _refuse(Code.CUSTOMER_ERASED, "An erased customer cannot be merged.", field_name)
        if row.status is CustomerStatus.MERGED:
            raise _refuse(
                Code.ALREADY_MERGED, "This customer was already merged into another.", field_name
            )


def _apply_plan(survivor: Customer, plan: MergePlan) -> None:
    result = plan.customer
    for name in MERGED_FIELDS:
        setattr(survivor, name, getattr(result, name))
    survivor.first_name = survivor.first_name or ""
    survivor.last_name = survivor.last_name or ""
    survivor.first_name_key = name_key(survivor.first_name)
    survivor.last_name_key = name_key(survivor.last_name)
    survivor.birthday_monthday = birthday_monthday(survivor.birthday)
    survivor.traits = dict(result.traits)
    store = result.favorite_store
    survivor.favorite_store_id = store.store_id if store is not None else None
    survivor.favorite_store_source = store.source if store is not None else None
    survivor.email_opt_in = result.email_consent is SmsState.SUBSCRIBED
    survivor.sms_state = result.sms_consent
    survivor.push_opt_in = result.push_consent is SmsState.SUBSCRIBED


async def _plan(
    principal: Principal, request: MergeRequest, conn: BaseDBAsyncClient
) -> tuple[Customer, list[Customer], MergePlan]:
    ids = [request.survivor_id, *request.merged_ids]
    rows = await repository.lock_customers(principal.organization_id, ids, conn)
    _check_rows(rows, request.survivor_id, request.merged_ids)
    opted_out = await repository.opted_out_channels(principal.organization_id, ids, conn)
    survivor = rows[request.survivor_id]
    merged = [rows[m] for m in request.merged_ids]
    plan = plan_merge(
        merge_customer(survivor, opted_out.get(survivor.id)),
        [merge_customer(m, opted_out.get(m.id)) for m in merged],
        request.field_choices,
    )
    return survivor, merged, plan


def _consent_source(principal: Principal) -> ConsentSource:
    return ConsentSource.STAFF if principal.kind is PrincipalKind.STAFF else ConsentSource.API


async def _record_consent_changes(
    principal: Principal, customer: Customer, before: Snapshot, text: str, conn: BaseDBAsyncClient
) -> None:
    """Evidence on the customer for each channel whose state the merge or unmerge changed."""
    for channel, column in _CONSENT_COLUMNS:
        value = getattr(customer, column)
        if snapshot_of(customer)[column] == before[column]:
            continue
        state = (
            value.value
            if isinstance(value, SmsState)
            else ("SUBSCRIBED" if value else "UNSUBSCRIBED")
        )
        await ConsentEvent.create(
            organization_id=principal.organization_id,
            customer_id=customer.id,
            channel=channel,
            state=state,
            source=_consent_source(principal),
            text=text,
            using_db=conn,
        )


async def _fold(
    principal: Principal,
    survivor: Customer,
    merged: Customer,
    merge_id: uuid.UUID,
    conn: BaseDBAsyncClient,
) -> dict[str, Any]:
    """Move one merged customer's points, orders, entries and consent events to the survivor."""
    transfer = await transfer_lots(
        principal,
        merged,
        survivor,
        (LedgerKind.MERGE_OUT, LedgerKind.MERGE_IN),
        f"merge:{merge_id}",
        conn,
    )
    # Lifetime points travel with the EARN and REFUND entries that carry them.
    lifetime = await repository.lifetime_of(merged.id, conn)
    moved: dict[str, Any] = {}
    for kind in repository.MOVABLE:
        ids = await repository.move_all(kind, merged.id, survivor.id, conn)
        moved[kind] = [str(i) for i in ids]
    survivor.lifetime_points += lifetime
    merged.lifetime_points -= lifetime
    moved["lifetime"] = lifetime
    moved["lots"] = [str(lot.entry_id) for lot in transfer.credits]
    moved["points"] = transfer.points
    merged.status = CustomerStatus.MERGED
    merged.merged_into_id = survivor.id
    for column in IDENTIFIER_COLUMNS:
        setattr(merged, column, None)
    await repository.save_customer(merged, _MERGED_STATE, conn)
    return moved


async def merge_customers(principal: Principal, request: MergeRequest) -> MergeOutcome:
    principal.require(Operation.CUSTOMER_MERGE)
    check_merge_ids(request.survivor_id, request.merged_ids)
    async with atomic() as conn:
        survivor, merged, plan = await _plan(principal, request, conn)
        before = snapshot_of(survivor)
        _apply_plan(survivor, plan)
        if request.dry_run:
            return MergeOutcome(None, survivor, plan.provenance)
        merge_id = new_id()
        merged_before = {str(m.id): snapshot_of(m) for m in merged}
        moved = {str(m.id): await _fold(principal, survivor, m, merge_id, conn) for m in merged}
        await repository.recount_orders(survivor, conn)
        program = await load_program(principal.organization_id)
        survivor.lifecycle_stage = stage_for(
            survivor.order_count, survivor.last_order_at, utcnow(), program
        )
        await repository.save_customer(survivor, (*_SURVIVOR_RESTORABLE, *STATS_FIELDS), conn)
        await _record_consent_changes(principal, survivor, before, f"merge:{merge_id}", conn)
        merge = await repository.create_merge(
            conn,
            id=merge_id,
            organization_id=principal.organization_id,
            survivor_id=survivor.id,
            merged_ids=[str(m.id) for m in merged],
            actor_kind=principal.actor_kind,
            actor_id=principal.subject_id,
            field_choices={k: str(v) for k, v in request.field_choices.items()},
            provenance={k: str(v) for k, v in plan.provenance.items()},
            snapshots={
                "survivor": before,
                "survivor_after": snapshot_of(survivor),
                "merged": merged_before,
            },
            moved=moved,
        )
        await repository.add_members(merge_id, survivor.id, [m.id for m in merged], conn)
        await repository.add_aliases(
            [
                CustomerAlias(
                    organization_id=principal.organization_id,
                    kind=AliasKind(alias.kind.value),
                    value=alias.value,
                    customer_id=survivor.id,
                    former_customer_id=alias.customer_id,
                    merge_id=merge_id,
                )
                for alias in plan.aliases
            ],
            conn,
        )
        await audit.record(
            principal,
            AuditAction.CUSTOMERS_MERGED,
            "customer",
            survivor.id,
            {"mergeId": str(merge_id), "mergedIds": [str(m.id) for m in merged]},
            using_db=conn,
        )
        await request_job(segment_refresh(principal.organization_id))
    return MergeOutcome(merge, survivor, plan.provenance)


def _survivor_restore(current: Snapshot, before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """The survivor's values to write back: each one the merge changed and nobody since."""
    values: dict[str, Any] = {}
    for name in _SURVIVOR_RESTORABLE:
        if name == "traits":
            continue
        if before[name] != after[name] and current[name] == after[name]:
            values[name] = before[name]
    traits = dict(current["traits"] or {})
    old, new = before["traits"] or {}, after["traits"] or {}
    missing = object()
    for key in set(old) | set(new):
        was, became, now = old.get(key, missing), new.get(key, missing), traits.get(key, missing)
        if was != became and now == became:
            if was is missing:
                traits.pop(key, None)
            else:
                traits[key] = was
    if traits != (current["traits"] or {}):
        values["traits"] = traits
    return values


async def _check_identifiers_free(
    principal: Principal,
    merge: CustomerMerge,
    finals: Mapping[uuid.UUID, Snapshot],
    conn: BaseDBAsyncClient,
) -> None:
    involved = list(finals)
    kinds = {
        "email": AliasKind.EMAIL,
        "phone": AliasKind.PHONE,
        "external_reference": AliasKind.EXTERNAL_REFERENCE,
    }
    for values in finals.values():
        for column in IDENTIFIER_COLUMNS:
            value = values.get(column)
            if value is None:
                continue
            org = principal.organization_id
            taken = await repository.live_holder(org, column, value, involved, conn)
            if taken or await repository.alias_taken(
                org, kinds[column], value, conn, except_merge=merge.id
            ):
                raise _refuse(
                    Code.IDENTIFIER_TAKEN,
                    f"The {column.replace('_', ' ')} to give back now belongs to another "
                    "customer: change that customer first.",
                    "mergeId",
                )


async def unmerge(principal: Principal, merge_id: uuid.UUID) -> CustomerMerge:
    principal.require(Operation.CUSTOMER_MERGE)
    async with atomic() as conn:
        merge = await repository.lock_merge(principal.organization_id, merge_id, conn)
        if merge is None:
            raise _refuse(Code.MERGE_NOT_FOUND, "No such merge.", "mergeId")
        if merge.undone_at is not None:
            raise _refuse(Code.ALREADY_UNDONE, "This merge was already undone.", "mergeId")
        survivor_id = uuid.UUID(str(merge.survivor_id))
        merged_ids = [uuid.UUID(i) for i in merge.merged_ids]
        rows = await repository.lock_customers(
            principal.organization_id, [survivor_id, *merged_ids], conn
        )
        # Checked under the customers' locks: a merge of the survivor committed while this
        # waited is seen here.
        later = await repository.later_standing_merge(merge, conn)
        if later is not None:
            raise _refuse(
                Code.LATER_MERGE_FIRST,
                f"Merge {later} builds on this one: undo it first.",
                "mergeId",
            )
        survivor = rows.get(survivor_id)
        if survivor is None or survivor.status not in visibility.LIVE_STATUSES:
            raise _refuse(Code.CUSTOMER_ERASED, "The surviving customer was erased.", "mergeId")
        merged = [rows[m] for m in merged_ids if m in rows]
        if len(merged) != len(merged_ids) or any(
            m.status is not CustomerStatus.MERGED or m.merged_into_id != survivor.id for m in merged
        ):
            raise _refuse(
                Code.CUSTOMER_ERASED, "A merged customer was erased since the merge.", "mergeId"
            )
        snapshots: dict[str, Any] = merge.snapshots
        current = snapshot_of(survivor)
        survivor_values = _survivor_restore(
            current, snapshots["survivor"], snapshots["survivor_after"]
        )
        finals = {survivor.id: {**current, **survivor_values}}
        finals |= {m.id: snapshots["merged"][str(m.id)] for m in merged}
        await _check_identifiers_free(principal, merge, finals, conn)

        await repository.drop_aliases(merge.id, conn)
        restore(survivor, {**current, **survivor_values}, tuple(survivor_values))
        # The survivor gives identifiers back first: the merged rows take them next.
        await repository.save_customer(survivor, tuple(survivor_values), conn)
        moved: dict[str, Any] = merge.moved
        for customer in reversed(merged):
            what = moved[str(customer.id)]
            await transfer_lots(
                principal,
                survivor,
                customer,
                (LedgerKind.UNMERGE, LedgerKind.UNMERGE),
                f"unmerge:{merge.id}",
                conn,
                only_lots=[uuid.UUID(i) for i in what["lots"]],
            )
            for kind in repository.MOVABLE:
                ids = [uuid.UUID(i) for i in what[kind]]
                await repository.move_back(kind, ids, customer.id, conn)
            survivor.lifetime_points -= int(what["lifetime"])
            customer.lifetime_points += int(what["lifetime"])
            restore(customer, snapshots["merged"][str(customer.id)], RESTORED_FIELDS)
            await repository.recount_orders(customer, conn)
            await repository.save_customer(customer, (*RESTORED_FIELDS, *STATS_FIELDS), conn)
        await repository.recount_orders(survivor, conn)
        if "lifecycle_stage" not in survivor_values:
            program = await load_program(principal.organization_id)
            survivor.lifecycle_stage = stage_for(
                survivor.order_count, survivor.last_order_at, utcnow(), program
            )
        await repository.save_customer(survivor, ("lifecycle_stage", *STATS_FIELDS), conn)
        await _record_consent_changes(principal, survivor, current, f"unmerge:{merge.id}", conn)
        merge.undone_at = utcnow()
        merge.undone_by_kind = principal.actor_kind
        merge.undone_by_id = principal.subject_id
        await repository.set_undone(merge, conn)
        await audit.record(
            principal,
            AuditAction.CUSTOMERS_UNMERGED,
            "customer",
            survivor.id,
            {"mergeId": str(merge.id), "mergedIds": list(merge.merged_ids)},
            using_db=conn,
        )
        await request_job(segment_refresh(principal.organization_id))
    return merge


async def list_merges(
    principal: Principal, page: SortedPageRequest, customer_id: uuid.UUID | None = None
) -> Page[CustomerMerge]:
    """In the order of `page.sort` (newest first by default); with `customer_id`, the merges
    that customer took part in."""
    principal.require(Operation.CUSTOMER_READ)
    return await sorted_page(repository.listed(principal.organization_id, customer_id), page)


async def merge_customers_of(principal: Principal, merge: CustomerMerge) -> list[Customer]:
    """The merged customers of a merge as their rows stand (MERGED while it stands)."""
    principal.require(Operation.CUSTOMER_READ)
    ids = [uuid.UUID(i) for i in merge.merged_ids]
    rows = await visibility.scoped(principal).filter(id__in=ids)
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def merged_into(principal: Principal, customer: Customer) -> Customer | None:
    """The current survivor of a merged customer (chains collapsed); None for others."""
    principal.require(Operation.CUSTOMER_READ)
    if customer.status is not CustomerStatus.MERGED:
        return None
    return await visibility.follow_merges(principal, customer)


async def survivor_of(principal: Principal, merge: CustomerMerge) -> Customer | None:
    """The merge's survivor as it is now (itself merged since: its own survivor)."""
    principal.require(Operation.CUSTOMER_READ)
    return await visibility.by_id(principal, uuid.UUID(str(merge.survivor_id)))
