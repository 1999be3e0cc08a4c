"""The personas domain's queries: persona sets, personas, assignments and roadmap items.

Every function is scoped by the organization it is given (services pass the principal's) or
by a row id the caller has already scoped. Bulk reads of features and assignments live in
`features` and `bulk`; everything else the personas services read or write is here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max

from app.customers.repository.visibility import LIVE_STATUSES
from app.models.order import OrderStatus
from app.models.organization import Organization
from app.models.persona import (
    Persona,
    PersonaAssignment,
    PersonaSet,
    PersonaSetStatus,
    RoadmapItem,
)

CONNECTION = "default"


def db(conn: BaseDBAsyncClient | None = None) -> BaseDBAsyncClient:
    return conn or connections.get(CONNECTION)


# --- organizations ----------------------------------------------------------------------------


async def organization(organization_id: uuid.UUID) -> Organization:
    return await Organization.get(id=organization_id)


async def organization_ids() -> list[uuid.UUID]:
    ids = await Organization.all().order_by("id").values_list("id", flat=True)
    return [uuid.UUID(str(i)) for i in ids]


async def lock_organization(conn: BaseDBAsyncClient, organization_id: uuid.UUID) -> None:
    """Serialize persona writes of one organization (a no-op on SQLite, whose single writer
    already does)."""
    await (
        Organization.filter(id=organization_id).select_for_update().using_db(conn).only("id").get()
    )


async def _count_up_to(query: str, values: list[Any], limit: int) -> int:
    rows = await db().execute_query_dict(query, values)
    return min(int(rows[0]["n"]), limit)


def _dialect_parameters(organization_id: uuid.UUID) -> tuple[Any, str]:
    postgres = db().capabilities.dialect == "postgres"
    return (organization_id if postgres else str(organization_id)), ("$" if postgres else "?")


async def completed_orders_up_to(organization_id: uuid.UUID, limit: int) -> int:
    """Completed orders of known customers, counted no further than `limit` (stays cheap)."""
    org, p = _dialect_parameters(organization_id)
    return await _count_up_to(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer_order"  # noqa: S608 - constants
        f" WHERE organization_id = {p}1 AND status = {p}2 AND customer_id IS NOT NULL"
        f" LIMIT {int(limit)}) AS capped",
        [org, OrderStatus.COMPLETED.value],
        limit,
    )


async def buyers_up_to(organization_id: uuid.UUID, limit: int) -> int:
    """Live customers with an order, counted no further than `limit`."""
    org, p = _dialect_parameters(organization_id)
    live = ", ".join(f"{p}{i}" for i in range(2, 2 + len(LIVE_STATUSES)))
    return await _count_up_to(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer"  # noqa: S608 - constants
        f" WHERE organization_id = {p}1 AND status IN ({live}) AND order_count > 0"
        f" LIMIT {int(limit)}) AS capped",
        [org, *(s.value for s in LIVE_STATUSES)],
        limit,
    )


# --- persona sets -----------------------------------------------------------------------------


async def current_set(
    organization_id: uuid.UUID, conn: BaseDBAsyncClient | None = None
) -> PersonaSet | None:
    return (
        await PersonaSet.filter(organization_id=organization_id, is_current=True)
        .using_db(db(conn))
        .order_by("-generated_at")
        .first()
    )


async def latest_set(organization_id: uuid.UUID) -> PersonaSet | None:
    return await PersonaSet.filter(organization_id=organization_id).order_by("-created_at").first()


async def sets(organization_id: uuid.UUID, limit: int) -> list[PersonaSet]:
    """Newest first."""
    return list(
        await PersonaSet.filter(organization_id=organization_id)
        .order_by("-created_at")
        .limit(limit)
    )


async def set_by_id(
    persona_set_id: uuid.UUID, conn: BaseDBAsyncClient | None = None
) -> PersonaSet | None:
    return await PersonaSet.filter(id=persona_set_id).using_db(db(conn)).first()


async def running_sets(
    organization_id: uuid.UUID | None = None, conn: BaseDBAsyncClient | None = None
) -> list[PersonaSet]:
    """RUNNING sets, oldest first: of one organization, or (reconciliation) of all."""
    query = PersonaSet.filter(status=PersonaSetStatus.RUNNING)
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return list(await query.using_db(db(conn)).order_by("created_at"))


async def create_set(conn: BaseDBAsyncClient, **values: Any) -> PersonaSet:
    return await PersonaSet.create(**values, using_db=conn)


async def update_set(
    persona_set_id: uuid.UUID, conn: BaseDBAsyncClient | None = None, **values: Any
) -> int:
    return await PersonaSet.filter(id=persona_set_id).using_db(db(conn)).update(**values)


async def fail_running_set(
    persona_set_id: uuid.UUID, conn: BaseDBAsyncClient, **values: Any
) -> int:
    """Update a set only while it is RUNNING; how many rows changed (0 or 1)."""
    return (
        await PersonaSet.filter(id=persona_set_id, status=PersonaSetStatus.RUNNING)
        .using_db(conn)
        .update(status=PersonaSetStatus.FAILED, **values)
    )


async def make_current(
    organization_id: uuid.UUID, persona_set_id: uuid.UUID, conn: BaseDBAsyncClient, **values: Any
) -> None:
    """Move `is_current` off the organization's other sets onto this one (READY)."""
    await (
        PersonaSet.filter(organization_id=organization_id, is_current=True)
        .exclude(id=persona_set_id)
        .using_db(conn)
        .update(is_current=False)
    )
    await update_set(persona_set_id, conn, status=PersonaSetStatus.READY, is_current=True, **values)


async def clear_set(persona_set_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """The set's personas and assignments, gone (the row stays)."""
    await PersonaAssignment.filter(persona_set_id=persona_set_id).using_db(conn).delete()
    await Persona.filter(persona_set_id=persona_set_id).using_db(conn).delete()


async def prune_assignments(organization_id: uuid.UUID, keep: set[uuid.UUID]) -> int:
    """Delete assignments of the organization's sets other than `keep`."""
    old = await PersonaSet.filter(organization_id=organization_id).values_list("id", flat=True)
    drop = [i for i in old if i not in keep]
    if not drop:
        return 0
    return await PersonaAssignment.filter(persona_set_id__in=drop).delete()


async def forget_customer(organization_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    sets_of = await PersonaSet.filter(organization_id=organization_id).values_list("id", flat=True)
    return await PersonaAssignment.filter(
        persona_set_id__in=list(sets_of), customer_id=customer_id
    ).delete()


# --- personas ---------------------------------------------------------------------------------


async def personas_of_set(organization_id: uuid.UUID, persona_set_id: uuid.UUID) -> list[Persona]:
    """A set's personas in position order."""
    query = Persona.filter(persona_set_id=persona_set_id, organization_id=organization_id)
    return list(await query.order_by("position"))


async def create_personas(personas: list[Persona], conn: BaseDBAsyncClient) -> None:
    await Persona.bulk_create(personas, using_db=conn)


async def persona_counts(
    organization_id: uuid.UUID, set_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Personas per set."""
    rows = await Persona.filter(
        organization_id=organization_id, persona_set_id__in=list(set_ids)
    ).values_list("persona_set_id", flat=True)
    counts: dict[uuid.UUID, int] = {}
    for set_id in rows:
        counts[set_id] = counts.get(set_id, 0) + 1  # type: ignore[index,call-overload]
    return counts


async def personas_of_customers(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Persona]:
    """Each customer's persona in the current set (customers without one are absent)."""
    current = await current_set(organization_id)
    if current is None or not customer_ids:
        return {}
    rows = await PersonaAssignment.filter(
        persona_set_id=current.id, customer_id__in=list(customer_ids)
    ).values_list("customer_id", "persona_identity_id")
    identities = {identity_id for _, identity_id in rows}
    personas = {
        p.identity_id: p
        for p in await Persona.filter(
            organization_id=organization_id, persona_set_id=current.id, identity_id__in=identities
        )
    }
    return {
        customer_id: personas[identity_id]
        for customer_id, identity_id in rows
        if identity_id in personas
    }


async def persona_in_current_set(
    organization_id: uuid.UUID, identity_id: uuid.UUID
) -> Persona | None:
    current = await current_set(organization_id)
    if current is None:
        return None
    return await Persona.get_or_none(
        organization_id=organization_id, persona_set_id=current.id, identity_id=identity_id
    )


# --- roadmap items ----------------------------------------------------------------------------


async def roadmaps(
    organization_id: uuid.UUID, identity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RoadmapItem]]:
    """Each persona's (identity's) roadmap items in order; dismissed ones left out."""
    items = await RoadmapItem.filter(
        organization_id=organization_id,
        persona_identity_id__in=list(identity_ids),
        dismissed=False,
    ).order_by("position", "created_at", "id")
    out: dict[uuid.UUID, list[RoadmapItem]] = {i: [] for i in identity_ids}
    for item in items:
        out.setdefault(item.persona_identity_id, []).append(item)
    return out


async def roadmap_keys(
    organization_id: uuid.UUID, identity_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> list[tuple[Any, Any, int]]:
    """(identity, rule key, position) of every item of these personas, dismissed ones too."""
    rows = await (
        RoadmapItem.filter(organization_id=organization_id, persona_identity_id__in=identity_ids)
        .using_db(conn)
        .values_list("persona_identity_id", "rule_key", "position")
    )
    return [(identity_id, key, cast(int, position)) for identity_id, key, position in rows]


async def create_roadmap_items(items: list[RoadmapItem], conn: BaseDBAsyncClient) -> None:
    await RoadmapItem.bulk_create(items, using_db=conn)


async def last_roadmap_position(
    organization_id: uuid.UUID, identity_id: uuid.UUID, conn: BaseDBAsyncClient
) -> int:
    """The highest position of a persona's items, -1 without any."""
    last = (
        await RoadmapItem.filter(organization_id=organization_id, persona_identity_id=identity_id)
        .using_db(conn)
        .annotate(top=Max("position"))
        .values_list("top", flat=True)
    )
    return cast(int, last[0]) if last and last[0] is not None else -1


async def create_roadmap_item(conn: BaseDBAsyncClient, **values: Any) -> RoadmapItem:
    return await RoadmapItem.create(**values, using_db=conn)


async def live_roadmap_item(
    organization_id: uuid.UUID, item_id: uuid.UUID, conn: BaseDBAsyncClient
) -> RoadmapItem | None:
    return (
        await RoadmapItem.filter(id=item_id, organization_id=organization_id, dismissed=False)
        .using_db(conn)
        .first()
    )


async def save_roadmap_item(item: RoadmapItem, fields: list[str], conn: BaseDBAsyncClient) -> None:
    await item.save(update_fields=fields, using_db=conn)


async def roadmap_of(
    organization_id: uuid.UUID, identity_id: Any, conn: BaseDBAsyncClient
) -> list[RoadmapItem]:
    """One persona's live items in order, inside the caller's transaction."""
    return list(
        await RoadmapItem.filter(
            organization_id=organization_id, persona_identity_id=identity_id, dismissed=False
        )
        .using_db(conn)
        .order_by("position", "created_at", "id")
    )


async def set_roadmap_position(item_id: uuid.UUID, position: int, conn: BaseDBAsyncClient) -> None:
    await RoadmapItem.filter(id=item_id).using_db(conn).update(position=position)


async def dismiss_roadmap_item(item_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    await RoadmapItem.filter(id=item_id).using_db(conn).update(dismissed=True)


async def delete_roadmap_item(item_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    await RoadmapItem.filter(id=item_id).using_db(conn).delete()
