"""Campaigns through GraphQL: marketing staff write, preview, schedule and cancel them; a real
worker runs them; typed errors for what cannot be done; who may do what."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.core.clock import utcnow
from app.models.customer import LifecycleStage
from app.models.staff import Role
from tests.burst_worker import run_worker
from tests.campaigns.helpers import plant_customers
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, add_staff

FIELDS = """id name audience points reason status scheduledAt audienceSize creditedCount
            pointsCredited progress startedAt completedAt cancelledAt createdById roadmapItemId"""
CREATE = f"""
mutation($input: CampaignCreateInput!) {{
  campaignCreate(input: $input) {{ campaign {{ {FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $input: CampaignUpdateInput!) {{
  campaignUpdate(id: $id, input: $input) {{ campaign {{ {FIELDS} }} errors {{ field code }} }}
}}"""
SCHEDULE = f"""
mutation($id: ID!) {{
  campaignSchedule(id: $id) {{ campaign {{ {FIELDS} }} errors {{ field code message }} }}
}}"""
CANCEL = f"""
mutation($id: ID!) {{
  campaignCancel(id: $id) {{ campaign {{ {FIELDS} }} errors {{ field code message }} }}
}}"""
ONE = f"query($id: ID!) {{ campaign(id: $id) {{ {FIELDS} }} }}"
LIST = """
query($status: CampaignStatus, $first: Int, $after: String) {
  campaigns(status: $status, first: $first, after: $after) {
    totalCount nodes { id name status } pageInfo { hasNextPage endCursor }
  }
}"""
PREVIEW = """
query($audience: CustomerWhereInput!, $points: Int!) {
  campaignPreview(audience: $audience, points: $points) {
    customers points pointValue addedLiability
  }
}"""
ACTIVITY = """
query($id: ID!) { customer(id: $id) {
  wallet { balance }
  activity(first: 5) { nodes { ... on LedgerEntry { kind points reason campaign { id name } } } }
} }"""
LAPSED = {"lifecycleStages": ["LOST"]}


def campaign_input(**changes: Any) -> dict[str, Any]:
    return {
        "name": "We miss you",
        "audience": LAPSED,
        "points": 100,
        "reason": "100 bonus points for lapsed regulars",
        **changes,
    }


async def create(gql: GraphQLClient, token: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(CREATE, {"input": campaign_input(**changes)}, token))[
        "campaignCreate"
    ]
    return payload


async def test_marketing_writes_previews_schedules_and_a_worker_runs_it(
    gql: GraphQLClient, tenant: Tenant, settings: Settings, redis_url: str
) -> None:
    marketing = await add_staff(tenant, Role.MARKETING)
    lapsed = await plant_customers(tenant.organization_id, 12, lifecycle_stage=LifecycleStage.LOST)
    await plant_customers(tenant.organization_id, 4, lifecycle_stage=LifecycleStage.ACTIVE)

    preview = (await gql.data(PREVIEW, {"audience": LAPSED, "points": 100}, marketing.token))[
        "campaignPreview"
    ]
    assert preview == {
        "customers": 12,
        "points": 1200,
        "pointValue": "0.01",
        "addedLiability": "12.00",
    }
    created = await create(gql, marketing.token)
    assert created["errors"] == []
    campaign = created["campaign"]
    assert campaign["status"] == "DRAFT"
    assert campaign["audience"] == LAPSED
    assert campaign["createdById"] == str(marketing.id)
    assert (campaign["progress"], campaign["audienceSize"]) == (0.0, None)

    renamed = (
        await gql.data(
            UPDATE, {"id": campaign["id"], "input": {"name": "Come back"}}, marketing.token
        )
    )["campaignUpdate"]
    assert renamed["errors"] == []
    assert renamed["campaign"]["name"] == "Come back"
    assert renamed["campaign"]["points"] == 100

    scheduled = (await gql.data(SCHEDULE, {"id": campaign["id"]}, marketing.token))[
        "campaignSchedule"
    ]
    assert scheduled["errors"] == []
    assert scheduled["campaign"]["status"] == "SCHEDULED"
    assert scheduled["campaign"]["scheduledAt"] is not None

    assert await run_worker(settings, redis_url) == 1
    done = (await gql.data(ONE, {"id": campaign["id"]}, marketing.token))["campaign"]
    assert (done["status"], done["audienceSize"], done["creditedCount"]) == ("COMPLETED", 12, 12)
    assert (done["pointsCredited"], done["progress"]) == (1200, 1.0)

    # The wallet's activity says which campaign the points came from.
    activity = (await gql.data(ACTIVITY, {"id": str(lapsed[0].id)}, tenant.token))["customer"]
    assert activity["wallet"]["balance"] == 100
    assert activity["activity"]["nodes"] == [
        {
            "kind": "EARN",
            "points": 100,
            "reason": "100 bonus points for lapsed regulars",
            "campaign": {"id": campaign["id"], "name": "Come back"},
        }
    ]

    listed = (await gql.data(LIST, {"status": "COMPLETED"}, marketing.token))["campaigns"]
    assert listed["totalCount"] == 1
    assert listed["nodes"][0]["id"] == campaign["id"]
    assert (await gql.data(LIST, {"status": "DRAFT"}, marketing.token))["campaigns"][
        "totalCount"
    ] == 0

    # Done is done: no edit, no cancel, no second schedule.
    for document, variables in (
        (UPDATE, {"id": campaign["id"], "input": {"points": 5}}),
        (CANCEL, {"id": campaign["id"]}),
        (SCHEDULE, {"id": campaign["id"]}),
    ):
        payload = next(iter((await gql.data(document, variables, marketing.token)).values()))
        assert [e["code"] for e in payload["errors"]] == ["WRONG_STATUS"]
        assert payload["campaign"] is None


async def test_cancel_before_it_runs_credits_nothing(
    gql: GraphQLClient, tenant: Tenant, settings: Settings, redis_url: str
) -> None:
    await plant_customers(tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST)
    later = (utcnow() + dt.timedelta(seconds=1)).isoformat()
    campaign = (await create(gql, tenant.token, scheduledAt=later))["campaign"]
    await gql.data(SCHEDULE, {"id": campaign["id"]}, tenant.token)
    cancelled = (await gql.data(CANCEL, {"id": campaign["id"]}, tenant.token))["campaignCancel"]
    assert cancelled["errors"] == []
    assert cancelled["campaign"]["status"] == "CANCELLED"
    await run_worker(settings, redis_url)
    after = (await gql.data(ONE, {"id": campaign["id"]}, tenant.token))["campaign"]
    assert (after["status"], after["creditedCount"], after["startedAt"]) == ("CANCELLED", 0, None)


async def test_what_cannot_be_done_is_a_typed_error(gql: GraphQLClient, tenant: Tenant) -> None:
    await plant_customers(tenant.organization_id, 2, lifecycle_stage=LifecycleStage.LOST)
    past = (utcnow() - dt.timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"points": 0}, [("points", "INVALID_POINTS")]),
        ({"points": -5}, [("points", "INVALID_POINTS")]),
        ({"points": 10**9}, [("points", "INVALID_POINTS")]),
        ({"scheduledAt": past}, [("scheduledAt", "SCHEDULED_IN_PAST")]),
        ({"name": "  ", "reason": ""}, [("name", "REQUIRED"), ("reason", "REQUIRED")]),
        ({"audience": {"lifecycleStages": ["AT_RISK"]}}, [("audience", "EMPTY_AUDIENCE")]),
        (
            {"audience": {"personaId": "018f0000-0000-7000-8000-000000000000", "tiers": ["Nope"]}},
            [("audience.tiers", "INVALID_AUDIENCE"), ("audience.personaId", "INVALID_AUDIENCE")],
        ),
    ]
    for changes, expected in cases:
        payload = await create(gql, tenant.token, **changes)
        assert payload["campaign"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, changes
    # A draft whose time passed before it was scheduled.
    soon = (utcnow() + dt.timedelta(minutes=2)).isoformat()
    campaign = (await create(gql, tenant.token, scheduledAt=soon))["campaign"]
    unknown = "018f0000-0000-7000-8000-000000000000"
    assert [
        e["code"]
        for e in (await gql.data(SCHEDULE, {"id": unknown}, tenant.token))["campaignSchedule"][
            "errors"
        ]
    ] == ["NOT_FOUND"]
    first = (await gql.data(CANCEL, {"id": campaign["id"]}, tenant.token))["campaignCancel"]
    assert first["errors"] == []
    again = (await gql.data(CANCEL, {"id": campaign["id"]}, tenant.token))["campaignCancel"]
    assert [e["code"] for e in again["errors"]] == ["WRONG_STATUS"]
    # A preview with bad input is refused as a request, naming the field, not masked.
    body = await gql.raw(PREVIEW, {"audience": LAPSED, "points": 0}, tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "points" in body["errors"][0]["message"]


async def test_who_may_do_what(gql: GraphQLClient, tenant: Tenant) -> None:
    await plant_customers(tenant.organization_id, 2, lifecycle_stage=LifecycleStage.LOST)
    campaign = (await create(gql, tenant.token))["campaign"]
    analyst = await add_staff(tenant, Role.ANALYST)
    marketing_analyst = await add_staff(tenant, Role.MARKETING_ANALYST)
    operator = await add_staff(tenant, Role.OPERATOR)
    pos = await add_api_key(tenant, ApiKeyScope.WALLET_READ, ApiKeyScope.WALLET_EARN)

    for reader in (analyst.token, marketing_analyst.token):
        assert (await gql.data(ONE, {"id": campaign["id"]}, reader))["campaign"]["id"] == campaign[
            "id"
        ]
        assert (await gql.data(LIST, {}, reader))["campaigns"]["totalCount"] == 1
        preview = await gql.data(PREVIEW, {"audience": LAPSED, "points": 1}, reader)
        assert preview["campaignPreview"]["customers"] == 2
        for document, variables in (
            (CREATE, {"input": campaign_input()}),
            (SCHEDULE, {"id": campaign["id"]}),
            (CANCEL, {"id": campaign["id"]}),
        ):
            assert await gql.error_codes(document, variables, reader) == ["FORBIDDEN"]
    for outsider in (operator.token, pos.secret):
        assert await gql.error_codes(LIST, {}, outsider) == ["FORBIDDEN"]
        assert await gql.error_codes(CREATE, {"input": campaign_input()}, outsider) == ["FORBIDDEN"]


async def test_campaigns_page_newest_first(gql: GraphQLClient, tenant: Tenant) -> None:
    await plant_customers(tenant.organization_id, 1, lifecycle_stage=LifecycleStage.LOST)
    ids = [(await create(gql, tenant.token, name=f"C{n}"))["campaign"]["id"] for n in range(3)]
    first = (await gql.data(LIST, {"first": 2}, tenant.token))["campaigns"]
    assert [n["id"] for n in first["nodes"]] == ids[::-1][:2]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"]
    rest = (
        await gql.data(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}, tenant.token)
    )["campaigns"]
    assert [n["id"] for n in rest["nodes"]] == [ids[0]]
