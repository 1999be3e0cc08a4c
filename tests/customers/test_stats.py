"""customerStats counts exactly the customers the `customers` list shows with the same filters:
each figure is compared with a row-by-row count of the rows the list pages through."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

from app.core.clock import utcnow
from app.core.ids import new_id
from app.models.customer import Customer, CustomerStatus, LifecycleStage, RfmSegment, SmsState
from app.models.persona import Persona, PersonaAssignment, PersonaSet, PersonaSetStatus
from app.models.staff import Role
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.factories import add_staff

STATS = """
query($where: CustomerWhereInput, $search: String, $archived: Boolean) {
  customerStats(where: $where, search: $search, includeArchived: $archived) {
    customers enrolled withOrder emailOptedIn
    byLifecycleStage { stage count }
    byRfmSegment { segment count }
    byTier { tier count }
    byPersona { personaId name count }
    bySmsState { state count }
  }
}"""
LIST = """
query($where: CustomerWhereInput, $search: String, $archived: Boolean, $after: String) {
  customers(where: $where, search: $search, includeArchived: $archived, first: 100,
            after: $after) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}"""


async def seed(organization_id: uuid.UUID, count: int, rng: random.Random) -> list[Customer]:
    rows = []
    for n in range(count):
        orders = rng.choice([0, 0, 1, 3])
        rows.append(
            await Customer.create(
                organization_id=organization_id,
                first_name=(first := rng.choice(["Ann", "Bob", "Cy"])),
                first_name_key=first.lower(),
                status=rng.choice([CustomerStatus.ACTIVE] * 6 + list(CustomerStatus)),
                loyalty_enrolled=rng.random() < 0.8,
                email_opt_in=rng.random() < 0.4,
                sms_state=rng.choice(list(SmsState)),
                lifecycle_stage=rng.choice(list(LifecycleStage)),
                rfm_segment=rng.choice([None, *RfmSegment]) if orders else None,
                order_count=orders,
                lifetime_points=rng.choice([0, 999, 1000, 4999, 5000, 12000]),
                email=f"c{n}@example.com",
            )
        )
    return rows


async def plant_personas(organization_id: uuid.UUID, customers: list[Customer]) -> dict[str, str]:
    persona_set = await PersonaSet.create(
        organization_id=organization_id,
        status=PersonaSetStatus.READY,
        is_current=True,
        generated_at=utcnow(),
        customer_count=len(customers),
    )
    names = {}
    identities = [new_id(), new_id(), new_id()]
    for position, identity in enumerate(identities):
        names[str(identity)] = f"Persona {'ABC'[position]}"
        await Persona.create(
            organization_id=organization_id,
            persona_set_id=persona_set.id,
            identity_id=identity,
            name=names[str(identity)],
            position=position,
            size=1,
            share=0.3,
        )
    # The last persona gets nobody; a third of the customers are in none.
    for index, customer in enumerate(customers):
        if index % 3:
            await PersonaAssignment.create(
                persona_set_id=persona_set.id,
                customer_id=customer.id,
                persona_identity_id=identities[index % 2],
            )
    # An older set that is not current counts for nothing.
    old = await PersonaSet.create(
        organization_id=organization_id, status=PersonaSetStatus.READY, is_current=False
    )
    await PersonaAssignment.create(
        persona_set_id=old.id, customer_id=customers[0].id, persona_identity_id=identities[2]
    )
    return names


async def listed(gql: GraphQLClient, token: str, variables: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = (await gql.data(LIST, {**variables, "after": after}, token))["customers"]
        ids += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(ids)
            return ids
        after = page["pageInfo"]["endCursor"]


def tier_of(points: int) -> str:
    return "Gold" if points >= 5000 else "Silver" if points >= 1000 else "Member"


def by_row(
    rows: list[Customer], assigned: dict[uuid.UUID, str], names: dict[str, str]
) -> dict[str, Any]:
    """The figures computed one row at a time, in the shape of the API's answer."""

    def counted(values: list[Any], keys: list[Any], name: str) -> list[dict[str, Any]]:
        seen = Counter(values)
        return [{name: k, "count": seen[k]} for k in keys]

    personas = Counter(assigned[r.id] for r in rows if r.id in assigned)
    return {
        "customers": len(rows),
        "enrolled": sum(r.loyalty_enrolled for r in rows),
        "withOrder": sum(r.order_count > 0 for r in rows),
        "emailOptedIn": sum(r.email_opt_in for r in rows),
        "byLifecycleStage": counted(
            [r.lifecycle_stage.value for r in rows], [s.value for s in LifecycleStage], "stage"
        ),
        "byRfmSegment": counted(
            [r.rfm_segment.value if r.rfm_segment else None for r in rows],
            [None, *(s.value for s in RfmSegment)],
            "segment",
        ),
        "byTier": counted(
            [tier_of(r.lifetime_points) for r in rows], ["Member", "Silver", "Gold"], "tier"
        ),
        "byPersona": sorted(
            [{"personaId": i, "name": n, "count": personas[i]} for i, n in names.items()],
            key=lambda p: -p["count"],
        ),
        "bySmsState": counted(
            [r.sms_state.value for r in rows], [s.value for s in SmsState], "state"
        ),
    }


class TestCustomerStats:
    async def test_matches_the_list_row_by_row(self, gql: GraphQLClient, tenant: Tenant) -> None:
        rng = random.Random(16)
        rows = await seed(tenant.organization_id, 60, rng)
        names = await plant_personas(tenant.organization_id, rows)
        current = await PersonaSet.get(organization_id=tenant.organization_id, is_current=True)
        assigned = {
            a.customer_id: str(a.persona_identity_id)
            for a in await PersonaAssignment.filter(persona_set_id=current.id)
        }
        other = await make_tenant("Other")
        await seed(other.organization_id, 20, rng)
        await plant_personas(
            other.organization_id, await Customer.filter(organization_id=other.organization_id)
        )

        for variables in (
            {},
            {"archived": True},
            {"where": {"lifecycleStages": ["ACTIVE", "AT_RISK"]}},
            {"where": {"rfmSegments": ["CHAMPIONS", "LOYAL", "NEW"], "emailOptIn": True}},
            {"where": {"smsState": "PENDING"}, "archived": True},
            {"where": {"personaId": next(iter(names))}},
            {"search": "ann"},
        ):
            ids = set(await listed(gql, tenant.token, variables))
            shown = [r for r in rows if str(r.id) in ids]
            assert shown, variables
            stats = (await gql.data(STATS, variables, tenant.token))["customerStats"]
            assert stats == by_row(shown, assigned, names), variables

    async def test_only_active_customers_without_include_archived(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        rows = await seed(tenant.organization_id, 30, random.Random(4))
        stats = (await gql.data(STATS, {}, tenant.token))["customerStats"]
        assert stats["customers"] == sum(r.status is CustomerStatus.ACTIVE for r in rows)
        assert stats["byPersona"] == []

    async def test_roles_without_the_dashboard_are_refused(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        clerk = await add_staff(tenant, Role.STAFF)
        assert await gql.error_codes(STATS, {}, clerk.token) == ["FORBIDDEN"]
        analyst = await add_staff(tenant, Role.MARKETING_ANALYST)
        assert await gql.error_codes(STATS, {}, analyst.token) == []
