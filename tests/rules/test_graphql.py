"""Earning rules through GraphQL: create, edit, switch, list, typed errors and permissions."""

from __future__ import annotations

from typing import Any

from app.auth.permissions import ApiKeyScope
from app.models.staff import Role
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, add_staff, create_customer
from tests.rules.helpers import CREATE, RULE_FIELDS

UPDATE = (
    """
mutation($id: ID!, $input: EarningRuleFieldsInput!) {
  earningRuleUpdate(id: $id, input: $input) { earningRule {"""
    + RULE_FIELDS
    + """} errors { field code } }
}"""
)
SWITCH = """
mutation($id: ID!) {
  a: earningRuleActivate(id: $id) { earningRule { status } errors { code } }
}"""
PAUSE = (
    "mutation($id: ID!) { earningRulePause(id: $id) { earningRule { status } errors { code } } }"
)
ARCHIVE = (
    "mutation($id: ID!) { earningRuleArchive(id: $id) { earningRule { status } errors { code } } }"
)
LIST = """
query($status: EarningRuleStatus, $first: Int, $after: String) {
  earningRules(status: $status, first: $first, after: $after) {
    totalCount nodes { id name status } pageInfo { hasNextPage endCursor }
  }
}"""
ONE = "query($id: ID!) { earningRule(id: $id) { id name kind } }"


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(CREATE, {"input": fields}, token))[
        "earningRuleCreate"
    ]
    return payload


async def test_marketing_creates_edits_activates_pauses_and_archives(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    marketing = await add_staff(tenant, Role.MARKETING)
    created = await create(
        gql,
        marketing.token,
        kind="ORDER_MULTIPLIER",
        name=" Double  points week ",
        multiplier="2",
        conditions={"categories": ["shoes"], "minTotal": "20"},
        audience={"lifecycleStages": ["ACTIVE"], "tiers": ["Gold"]},
        startsAt="2030-01-05T00:00:00",
        endsAt="2030-01-12T00:00:00",
        pointsBudget=10000,
    )
    assert created["errors"] == []
    rule = created["earningRule"]
    assert rule["name"] == "Double points week"
    assert rule["status"] == "DRAFT"
    assert rule["multiplier"] == "2.00"
    assert rule["audience"] == {"lifecycleStages": ["ACTIVE"], "tiers": ["Gold"]}
    # The organization's zone is UTC here: a wall-clock time is read in it.
    assert rule["startsAt"].startswith("2030-01-05T00:00:00")

    updated = (
        await gql.data(UPDATE, {"id": rule["id"], "input": {"name": "Shoe week"}}, marketing.token)
    )["earningRuleUpdate"]
    assert updated["errors"] == []
    assert updated["earningRule"]["name"] == "Shoe week"
    assert updated["earningRule"]["multiplier"] == "2.00"  # omitted fields stay

    steps = [(SWITCH, "a", "ACTIVE"), (PAUSE, "earningRulePause", "PAUSED")]
    steps += [(SWITCH, "a", "ACTIVE"), (ARCHIVE, "earningRuleArchive", "ARCHIVED")]
    for document, field, status in steps:
        payload = (await gql.data(document, {"id": rule["id"]}, marketing.token))[field]
        assert payload == {"earningRule": {"status": status}, "errors": []}

    again = (await gql.data(SWITCH, {"id": rule["id"]}, marketing.token))["a"]
    assert again == {"earningRule": None, "errors": [{"code": "INVALID_STATUS"}]}
    edit = (await gql.data(UPDATE, {"id": rule["id"], "input": {"points": 5}}, marketing.token))[
        "earningRuleUpdate"
    ]
    assert edit["errors"] == [{"field": "id", "code": "INVALID_STATUS"}]


async def test_invalid_settings_are_typed_errors_all_at_once(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    payload = await create(
        gql,
        tenant.token,
        kind="STREAK",
        name="",
        points=0,
        conditions={"orders": 1, "withinDays": 30},
        audience={"tiers": ["Platinum"]},
        startsAt="2030-01-05T00:00:00Z",
        endsAt="2030-01-01T00:00:00Z",
        perCustomerLimit=0,
    )
    assert payload["earningRule"] is None
    found = {(e["field"], e["code"]) for e in payload["errors"]}
    assert found == {
        ("name", "REQUIRED"),
        ("points", "INVALID_POINTS"),
        ("conditions.orders", "INVALID_CONDITIONS"),
        ("audience.tiers", "INVALID_AUDIENCE"),
        ("endsAt", "INVALID_WINDOW"),
        ("perCustomerLimit", "INVALID_LIMIT"),
    }
    for message in (e["message"] for e in payload["errors"]):
        assert "Platinum" not in message


async def test_kind_specific_fields_are_checked(gql: GraphQLClient, tenant: Tenant) -> None:
    cases: list[tuple[dict[str, Any], set[tuple[str, str]]]] = [
        (
            {"kind": "ORDER_MULTIPLIER", "points": 10},
            {("points", "INVALID_POINTS"), ("multiplier", "INVALID_MULTIPLIER")},
        ),
        (
            {"kind": "WELCOME", "points": 10, "multiplier": "2"},
            {("multiplier", "INVALID_MULTIPLIER")},
        ),
        (
            {"kind": "WELCOME", "points": 10, "conditions": {"minTotal": 5}},
            {("conditions.minTotal", "INVALID_CONDITIONS")},
        ),
        (
            {"kind": "MILESTONE", "points": 10, "conditions": {}},
            {("conditions.lifetimeOrders", "INVALID_CONDITIONS")},
        ),
        (
            {
                "kind": "PROFILE_COMPLETED",
                "points": 10,
                "conditions": {"requiredFields": ["shoeSize"]},
            },
            {("conditions.requiredFields", "INVALID_CONDITIONS")},
        ),
        (
            {"kind": "ORDER_MULTIPLIER", "multiplier": "2", "conditions": {"storeIds": ["nope"]}},
            {("conditions.storeIds", "INVALID_CONDITIONS")},
        ),
        (
            {
                "kind": "WELCOME",
                "points": 10,
                "audience": {"personaId": "0192d7a0-0000-7000-8000-000000000000"},
            },
            {("audience.personaId", "INVALID_AUDIENCE")},
        ),
    ]
    for fields, expected in cases:
        payload = await create(gql, tenant.token, name="Rule", **fields)
        assert {(e["field"], e["code"]) for e in payload["errors"]} == expected, fields


async def test_list_by_status_with_pages_and_total(gql: GraphQLClient, tenant: Tenant) -> None:
    ids = []
    for n in range(3):
        payload = await create(gql, tenant.token, kind="WELCOME", name=f"Welcome {n}", points=10)
        ids.append(payload["earningRule"]["id"])
    await gql.data(SWITCH, {"id": ids[1]}, tenant.token)
    page = (await gql.data(LIST, {"first": 2}, tenant.token))["earningRules"]
    assert page["totalCount"] == 3
    assert [n["id"] for n in page["nodes"]] == ids[:2]
    rest = await gql.data(LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]}, tenant.token)
    assert [n["id"] for n in rest["earningRules"]["nodes"]] == ids[2:]
    active = (await gql.data(LIST, {"status": "ACTIVE"}, tenant.token))["earningRules"]
    assert [n["id"] for n in active["nodes"]] == [ids[1]]
    assert active["totalCount"] == 1


async def test_analyst_reads_marketing_writes_pos_keys_see_neither(
    gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    rule = (await create(gql, tenant.token, kind="WELCOME", name="Hi", points=10))["earningRule"]
    analyst = await add_staff(tenant, Role.ANALYST)
    read = await gql.data(ONE, {"id": rule["id"]}, analyst.token)
    assert read["earningRule"]["name"] == "Hi"
    refused = await gql.raw(PAUSE, {"id": rule["id"]}, analyst.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await gql.raw(
        CREATE, {"input": {"kind": "WELCOME", "name": "x", "points": 1}}, analyst.token
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role in (Role.STAFF, Role.OPERATOR):
        member = await add_staff(tenant, role)
        body = await gql.raw(ONE, {"id": rule["id"]}, member.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    key = await add_api_key(tenant, ApiKeyScope.ORDERS_WRITE, ApiKeyScope.WALLET_READ)
    body = await gql.raw(LIST, {}, key.secret)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another organization does not see it at all.
    foreign = await gql.data(ONE, {"id": rule["id"]}, other_tenant.token)
    assert foreign["earningRule"] is None
    foreign_pause = await gql.data(PAUSE, {"id": rule["id"]}, other_tenant.token)
    assert foreign_pause["earningRulePause"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_customer_list_filters_by_tier(gql: GraphQLClient, tenant: Tenant) -> None:
    from app.models.customer import Customer

    low = await create_customer(gql, tenant.token, email="low@example.com")
    high = await create_customer(gql, tenant.token, email="high@example.com")
    await Customer.filter(id=high["id"]).update(lifetime_points=1500)
    query = """query($where: CustomerWhereInput) {
      customers(where: $where) { totalCount nodes { id } } }"""
    silver = await gql.data(query, {"where": {"tiers": ["Silver"]}}, tenant.token)
    assert [n["id"] for n in silver["customers"]["nodes"]] == [high["id"]]
    member = await gql.data(query, {"where": {"tiers": ["Member", "Gold"]}}, tenant.token)
    assert [n["id"] for n in member["customers"]["nodes"]] == [low["id"]]
