"""Applying a persona roadmap item: a win-back suggestion becomes a DRAFT campaign for that
persona's lapsed members, pre-filled from the suggested setting; applying twice returns the
same campaign; the item shows what it became."""

from __future__ import annotations

import uuid
from typing import Any

from app.config import Settings
from app.core.clock import utcnow
from app.core.ids import new_id
from app.models.customer import Customer, LifecycleStage
from app.models.persona import (
    Persona,
    PersonaAssignment,
    PersonaSet,
    PersonaSetStatus,
    RoadmapItem,
    RoadmapItemSource,
)
from app.models.staff import Role
from app.models.wallet import LedgerEntry
from tests.burst_worker import run_worker
from tests.campaigns.helpers import plant_customers
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff

APPLY = """
mutation($id: ID!) {
  roadmapItemApply(id: $id) {
    roadmapItem { id applicable }
    applied {
      campaign { id name status audience points reason roadmapItemId }
      earningRule { id kind name status points conditions audience perCustomerLimit }
    }
    errors { field code message }
  }
}"""
ROADMAPS = """
{ personas { personas { id roadmap {
    id title applicable applied { campaign { id status } earningRule { id status } }
} } } }"""
SCHEDULE = "mutation($id: ID!) { campaignSchedule(id: $id) { errors { code } } }"
STREAK = "+50 points on every 2nd order within 90 days. 61% of its members qualify."
WIN_BACK = "2× points for 30 days for customers inactive 180+ days. 62% of its members qualify."


async def persona_with_roadmap(
    tenant: Tenant, members: list[Customer]
) -> tuple[uuid.UUID, RoadmapItem, RoadmapItem]:
    """A current persona of `members` (median order 40.00) with a generated win-back item and
    a staff item."""
    org = tenant.organization_id
    persona_set = await PersonaSet.create(
        organization_id=org,
        status=PersonaSetStatus.READY,
        is_current=True,
        generated_at=utcnow(),
        customer_count=len(members),
    )
    identity = new_id()
    await Persona.create(
        organization_id=org,
        persona_set_id=persona_set.id,
        identity_id=identity,
        name="Lapsed regulars",
        size=len(members),
        share=1.0,
        behaviors={"medianOrderValue": 40.0},
    )
    await PersonaAssignment.bulk_create(
        [
            PersonaAssignment(
                persona_set_id=persona_set.id, customer_id=c.id, persona_identity_id=identity
            )
            for c in members
        ]
    )
    win_back = await RoadmapItem.create(
        organization_id=org,
        persona_identity_id=identity,
        rule_key="renewal.win_back",
        source=RoadmapItemSource.GENERATED,
        title="Win-back campaign",
        suggested_setting=WIN_BACK,
        position=0,
    )
    staff_item = await RoadmapItem.create(
        organization_id=org,
        persona_identity_id=identity,
        source=RoadmapItemSource.STAFF,
        title="Call the lapsed ones",
        position=1,
    )
    await RoadmapItem.create(
        organization_id=org,
        persona_identity_id=identity,
        rule_key="routine.visit_streaks",
        source=RoadmapItemSource.GENERATED,
        title="Visit streak bonus",
        suggested_setting=STREAK,
        position=2,
    )
    return identity, win_back, staff_item


async def apply(gql: GraphQLClient, token: str, item_id: uuid.UUID) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(APPLY, {"id": str(item_id)}, token))[
        "roadmapItemApply"
    ]
    return payload


async def test_a_win_back_item_becomes_a_draft_campaign_for_its_lapsed_members(
    gql: GraphQLClient, tenant: Tenant, settings: Settings, redis_url: str
) -> None:
    org = tenant.organization_id
    lapsed = await plant_customers(org, 6, lifecycle_stage=LifecycleStage.LOST)
    at_risk = await plant_customers(org, 4, lifecycle_stage=LifecycleStage.AT_RISK)
    active = await plant_customers(org, 5, lifecycle_stage=LifecycleStage.ACTIVE)
    # Lapsed customers of no persona are not its audience.
    outsiders = await plant_customers(org, 3, lifecycle_stage=LifecycleStage.LOST)
    persona, win_back, _staff_item = await persona_with_roadmap(tenant, lapsed + at_risk + active)
    marketing = await add_staff(tenant, Role.MARKETING)

    before = (await gql.data(ROADMAPS, None, marketing.token))["personas"]["personas"][0]
    assert [(i["title"], i["applicable"], i["applied"]) for i in before["roadmap"]] == [
        ("Win-back campaign", True, None),
        ("Call the lapsed ones", False, None),
        ("Visit streak bonus", True, None),
    ]

    applied = await apply(gql, marketing.token, win_back.id)
    assert applied["errors"] == []
    assert applied["applied"]["earningRule"] is None
    campaign = applied["applied"]["campaign"]
    # The extra points of one median order (40.00 at 1 point per unit) at double points.
    assert {k: campaign[k] for k in ("name", "status", "points", "roadmapItemId")} == {
        "name": "Win-back campaign",
        "status": "DRAFT",
        "points": 40,
        "roadmapItemId": str(win_back.id),
    }
    assert campaign["audience"] == {
        "personaId": str(persona),
        "lifecycleStages": ["AT_RISK", "LOST"],
    }
    # Applying again (a double click, a retry) returns the same campaign.
    again = await apply(gql, marketing.token, win_back.id)
    assert again["errors"] == []
    assert again["applied"]["campaign"]["id"] == campaign["id"]

    after = (await gql.data(ROADMAPS, None, marketing.token))["personas"]["personas"][0]
    assert after["roadmap"][0]["applied"] == {
        "campaign": {"id": campaign["id"], "status": "DRAFT"},
        "earningRule": None,
    }

    # Staff review and schedule it; the worker credits the persona's lapsed members only.
    assert (await gql.data(SCHEDULE, {"id": campaign["id"]}, marketing.token))["campaignSchedule"][
        "errors"
    ] == []
    assert await run_worker(settings, redis_url) == 1
    credited = set(
        await LedgerEntry.filter(campaign_id=campaign["id"]).values_list("customer_id", flat=True)
    )
    assert {str(c) for c in credited} == {str(c.id) for c in lapsed + at_risk}
    assert not {str(c) for c in credited} & {str(c.id) for c in active + outsiders}


async def test_a_streak_item_becomes_a_draft_earning_rule_for_its_persona(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    members = await plant_customers(tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST)
    persona, _, _ = await persona_with_roadmap(tenant, members)
    item = await RoadmapItem.get(rule_key="routine.visit_streaks")
    marketing = await add_staff(tenant, Role.MARKETING)
    applied = await apply(gql, marketing.token, item.id)
    assert applied["errors"] == []
    assert applied["applied"]["campaign"] is None
    rule = applied["applied"]["earningRule"]
    assert {k: v for k, v in rule.items() if k != "id"} == {
        "kind": "STREAK",
        "name": "Visit streak bonus",
        "status": "DRAFT",
        "points": 50,
        "conditions": {"orders": 2, "withinDays": 90},
        "audience": {"personaId": str(persona)},
        "perCustomerLimit": None,
    }
    again = await apply(gql, marketing.token, item.id)
    assert again["applied"]["earningRule"]["id"] == rule["id"]
    roadmap = (await gql.data(ROADMAPS, None, marketing.token))["personas"]["personas"][0]
    assert roadmap["roadmap"][2]["applied"] == {
        "campaign": None,
        "earningRule": {"id": rule["id"], "status": "DRAFT"},
    }
    # A second-purchase bonus is a streak of two paid once per customer.
    await RoadmapItem.filter(id=item.id).update(
        rule_key="trial.second_purchase",
        suggested_setting="+30 points on a second order within 49 days of the first.",
    )
    other = await RoadmapItem.create(
        organization_id=tenant.organization_id,
        persona_identity_id=persona,
        rule_key="trial.second_purchase",
        source=RoadmapItemSource.GENERATED,
        title="Second-purchase bonus",
        suggested_setting="+30 points on a second order within 49 days of the first.",
        position=3,
    )
    second = (await apply(gql, marketing.token, other.id))["applied"]["earningRule"]
    assert (second["points"], second["conditions"], second["perCustomerLimit"]) == (
        30,
        {"orders": 2, "withinDays": 49},
        1,
    )


async def test_items_that_are_no_campaign_are_refused(gql: GraphQLClient, tenant: Tenant) -> None:
    members = await plant_customers(tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST)
    _, win_back, staff_item = await persona_with_roadmap(tenant, members)
    refused = await apply(gql, tenant.token, staff_item.id)
    assert refused["applied"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "NOT_APPLICABLE")]
    # A suggestion edited past reading (no multiplier left) is no longer applicable.
    await RoadmapItem.filter(id=win_back.id).update(suggested_setting="Something else.")
    assert [e["code"] for e in (await apply(gql, tenant.token, win_back.id))["errors"]] == [
        "NOT_APPLICABLE"
    ]
    assert [e["code"] for e in (await apply(gql, tenant.token, new_id()))["errors"]] == [
        "NOT_FOUND"
    ]


async def test_only_campaign_managers_apply(gql: GraphQLClient, tenant: Tenant) -> None:
    members = await plant_customers(tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST)
    _, win_back, _ = await persona_with_roadmap(tenant, members)
    # Marketing analysts edit roadmaps but do not create campaigns.
    analyst = await add_staff(tenant, Role.MARKETING_ANALYST)
    assert await gql.error_codes(APPLY, {"id": str(win_back.id)}, analyst.token) == ["FORBIDDEN"]
    roadmap = (await gql.data(ROADMAPS, None, analyst.token))["personas"]["personas"][0]["roadmap"]
    assert roadmap[0]["applicable"] is True
    assert roadmap[0]["applied"] is None
