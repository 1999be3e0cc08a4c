"""The queries of duplicate suggestions: candidates, excluded pairs, settings and results.

Every function takes the organization explicitly. Candidates are read in one set-based query;
the results of a recompute are replaced as a whole inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from app.merges.candidates import Candidate
from app.models.customer import Customer, CustomerStatus
from app.models.duplicates import (
    DismissedDuplicatePair,
    DuplicateSettings,
    DuplicateSuggestion,
    DuplicateSuggestionMember,
    PlaceholderIdentifier,
    PlaceholderKind,
    PlaceholderSource,
)
from app.models.merge import CustomerMergeMember, MergeRole

CONNECTION = "default"
# Only active customers are compared and shown: an archived customer is out of normal view,
# and merged or erased ones are no one's duplicate any more.
SUGGESTED_STATUS = CustomerStatus.ACTIVE


def db(conn: BaseDBAsyncClient | None = None) -> BaseDBAsyncClient:
    return conn or connections.get(CONNECTION)


def ordered(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- what a recompute reads --------------------------------------------------------------------


async def candidates(organization_id: uuid.UUID) -> list[Candidate]:
    """The organization's active customers, with the fields the engine compares."""
    rows = (
        await Customer.filter(organization_id=organization_id, status=SUGGESTED_STATUS)
        .order_by("id")
        .values_list(
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "external_reference",
            "birthday",
            "postal_code",
        )
    )
    return [Candidate(_uuid(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


async def excluded_pairs(organization_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Pairs never to suggest again: the one place every source of them is read from.

    Pairs staff dismissed, and the pairs of every undone merge (its survivor with each customer
    the unmerge restored): staff said by undoing it that they are two people.
    """
    dismissed = await DismissedDuplicatePair.filter(organization_id=organization_id).values_list(
        "low_customer_id", "high_customer_id"
    )
    pairs = [(_uuid(a), _uuid(b)) for a, b in dismissed]
    undone = await CustomerMergeMember.filter(
        merge__organization_id=organization_id, merge__undone_at__isnull=False
    ).values_list("merge_id", "customer_id", "role")
    by_merge: dict[object, dict[str, list[uuid.UUID]]] = {}
    for merge_id, customer_id, role in undone:
        roles = by_merge.setdefault(merge_id, {MergeRole.SURVIVOR: [], MergeRole.MERGED: []})
        roles[str(role)].append(_uuid(customer_id))
    for roles in by_merge.values():
        for survivor in roles[MergeRole.SURVIVOR]:
            for merged in roles[MergeRole.MERGED]:
                pairs.append((min(survivor, merged), max(survivor, merged)))
    return pairs


# --- settings ----------------------------------------------------------------------------------


async def settings(organization_id: uuid.UUID) -> DuplicateSettings | None:
    return await DuplicateSettings.get_or_none(organization_id=organization_id)


async def save_settings(
    organization_id: uuid.UUID, values: list[dict[str, str]], shared_threshold: int
) -> DuplicateSettings:
    row, created = await DuplicateSettings.get_or_create(
        organization_id=organization_id,
        defaults={"placeholder_values": values, "shared_threshold": shared_threshold},
    )
    if not created:
        row.placeholder_values = values
        row.shared_threshold = shared_threshold
        await row.save(update_fields=["placeholder_values", "shared_threshold", "updated_at"])
    return row


async def mark_computed(
    conn: BaseDBAsyncClient, organization_id: uuid.UUID, computed_at: dt.datetime
) -> None:
    updated = (
        await DuplicateSettings.filter(organization_id=organization_id)
        .using_db(conn)
        .update(computed_at=computed_at)
    )
    if not updated:
        await DuplicateSettings.create(
            organization_id=organization_id, computed_at=computed_at, using_db=conn
        )


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionRow:
    customer_ids: tuple[uuid.UUID, ...]
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PlaceholderRow:
    kind: PlaceholderKind
    value: str
    count: int
    source: PlaceholderSource


async def replace_results(
    conn: BaseDBAsyncClient,
    organization_id: uuid.UUID,
    suggestions: Sequence[SuggestionRow],
    placeholders: Sequence[PlaceholderRow],
    computed_at: dt.datetime,
) -> None:
    """The previous results out, these in (give `suggestions` strongest first)."""
    await DuplicateSuggestion.filter(organization_id=organization_id).using_db(conn).delete()
    await PlaceholderIdentifier.filter(organization_id=organization_id).using_db(conn).delete()
    # Ids are made here, in this order, so that id order is score order (see the model).
    rows = [
        DuplicateSuggestion(
            organization_id=organization_id,
            customer_ids=[str(c) for c in s.customer_ids],
            score=s.score,
            reasons=list(s.reasons),
            computed_at=computed_at,
        )
        for s in suggestions
    ]
    members = [
        DuplicateSuggestionMember(
            organization_id=organization_id, suggestion_id=row.id, customer_id=customer_id
        )
        for row, s in zip(rows, suggestions, strict=True)
        for customer_id in s.customer_ids
    ]
    await DuplicateSuggestion.bulk_create(rows, batch_size=1000, using_db=conn)
    await DuplicateSuggestionMember.bulk_create(members, batch_size=1000, using_db=conn)
    await PlaceholderIdentifier.bulk_create(
        [
            PlaceholderIdentifier(
                organization_id=organization_id,
                kind=p.kind,
                value=p.value,
                customer_count=p.count,
                source=p.source,
            )
            for p in placeholders
        ],
        batch_size=1000,
        using_db=conn,
    )
    await mark_computed(conn, organization_id, computed_at)


def _shown(organization_id: uuid.UUID, min_score: float) -> QuerySet[DuplicateSuggestion]:
    # A suggestion whose customer was archived, merged or erased since the recompute is not
    # shown: the next recompute drops it.
    stale = DuplicateSuggestionMember.filter(organization_id=organization_id).exclude(
        customer__status=SUGGESTED_STATUS
    )
    query = DuplicateSuggestion.filter(organization_id=organization_id, score__gte=min_score)
    return query.exclude(id__in=Subquery(stale.values("suggestion_id")))


async def suggestions_page(
    organization_id: uuid.UUID,
    limit: int,
    *,
    after: uuid.UUID | None = None,
    min_score: float = 0.0,
) -> list[DuplicateSuggestion]:
    query = _shown(organization_id, min_score)
    if after is not None:
        query = query.filter(id__gt=after)
    return list(await query.order_by("id").limit(limit))


async def suggestions_of_customers(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DuplicateSuggestion]]:
    """Customer id -> the shown suggestions it is in, strongest first (two queries)."""
    members = await DuplicateSuggestionMember.filter(
        organization_id=organization_id, customer_id__in=list(customer_ids)
    ).values_list("suggestion_id", "customer_id")
    rows = await (
        _shown(organization_id, 0.0)
        .filter(id__in=list({_uuid(s) for s, _ in members}))
        .order_by("id")
    )
    rank = {_uuid(row.id): (n, row) for n, row in enumerate(rows)}
    found: dict[uuid.UUID, list[tuple[int, DuplicateSuggestion]]] = {}
    for suggestion_id, customer_id in members:
        hit = rank.get(_uuid(suggestion_id))
        if hit is not None:
            found.setdefault(_uuid(customer_id), []).append(hit)
    return {
        customer_id: [row for _, row in sorted(hits, key=lambda hit: hit[0])]
        for customer_id, hits in found.items()
    }


async def count_suggestions(organization_id: uuid.UUID, min_score: float = 0.0) -> int:
    count: int = await _shown(organization_id, min_score).count()
    return count


async def customers_by_id(
    organization_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    found = await Customer.filter(
        organization_id=organization_id, id__in=list(set(ids)), status=SUGGESTED_STATUS
    )
    return {_uuid(c.id): c for c in found}


async def organization_customer_ids(
    organization_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are customers of the organization (any status)."""
    found = await Customer.filter(organization_id=organization_id, id__in=list(ids)).values_list(
        "id", flat=True
    )
    return {_uuid(i) for i in found}


async def dismiss_pairs(
    conn: BaseDBAsyncClient,
    organization_id: uuid.UUID,
    pairs: Sequence[tuple[uuid.UUID, uuid.UUID]],
    dismissed_by: uuid.UUID | None,
) -> None:
    """Record the pairs (already ordered) and drop the stored suggestions holding any of them."""
    known = {
        (_uuid(a), _uuid(b))
        for a, b in await DismissedDuplicatePair.filter(
            organization_id=organization_id,
            low_customer_id__in=[a for a, _ in pairs],
        )
        .using_db(conn)
        .values_list("low_customer_id", "high_customer_id")
    }
    await DismissedDuplicatePair.bulk_create(
        [
            DismissedDuplicatePair(
                organization_id=organization_id,
                low_customer_id=a,
                high_customer_id=b,
                dismissed_by_id=dismissed_by,
            )
            for a, b in pairs
            if (a, b) not in known
        ],
        using_db=conn,
    )
    involved = {c for pair in pairs for c in pair}
    members = await (
        DuplicateSuggestionMember.filter(organization_id=organization_id, customer_id__in=involved)
        .using_db(conn)
        .values_list("suggestion_id", "customer_id")
    )
    holding: dict[uuid.UUID, set[uuid.UUID]] = {}
    for suggestion_id, customer_id in members:
        holding.setdefault(_uuid(suggestion_id), set()).add(_uuid(customer_id))
    dropped = [s for s, held in holding.items() if any(a in held and b in held for a, b in pairs)]
    if dropped:
        await (
            DuplicateSuggestion.filter(organization_id=organization_id, id__in=dropped)
            .using_db(conn)
            .delete()
        )


async def placeholders(organization_id: uuid.UUID, limit: int) -> list[PlaceholderIdentifier]:
    return list(
        await PlaceholderIdentifier.filter(organization_id=organization_id)
        .order_by("-customer_count", "kind", "value")
        .limit(limit)
    )
