"""The persona API end to end: a mutation asks, a real worker regenerates, queries read."""

from __future__ import annotations

import json
import re
from typing import Any

from arq.connections import ArqRedis

from app.config import Settings
from app.models.customer import Customer
from app.models.persona import PersonaSet, PersonaSetStatus
from app.models.staff import Role
from tests.burst_worker import run_worker
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.factories import add_staff
from tests.personas.fixtures import seeded_tenant

PERSONAS = """
query {
  personas {
    status generatedAt nextRegenerationAt customerCount
    eligibility { eligible reasons { requirement message required actual } }
    regeneration {
      id status current forced scheduled requestedAt generatedAt customerCount errorCode
      personaCount silhouette
    }
    personas {
      id name size share isOther note
      demographics {
        medianAge birthdayKnownShare
        ageBands { label share lift } topCountries { label share lift }
        topCities { city country share }
      }
      motivations {
        key label score
        evidence { metric label value baseValue lift description }
      }
      behaviors {
        averageOrderValue medianOrderValue averageSpend ordersPerCustomer ordersPerMonth
        medianRecencyDays medianDaysBetweenOrders intervalVariation redemptionRate
        redeemerShare referralsPerCustomer referrerShare birthdayMonthOrderShare
        unitsPerOrder oneTimeShare atRiskShare lostShare
        topCategories { label share lift } topTags { label share lift }
      }
      roadmap {
        id personaId title rationale suggestedSetting done notes position source ruleKey
        createdAt updatedAt
      }
    }
    history(first: 5) { id status current customerCount personaCount errorCode }
  }
}"""

REGENERATE = """
mutation($force: Boolean!) {
  personasRegenerate(force: $force) {
    regeneration { id status forced current }
    errors { field code message }
  }
}"""

ADD = """
mutation($persona: ID!, $input: RoadmapItemInput!) {
  roadmapItemAdd(personaId: $persona, input: $input) {
    roadmapItem { id personaId title done notes position source ruleKey }
    errors { field code message }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: RoadmapItemUpdateInput!) {
  roadmapItemUpdate(id: $id, input: $input) {
    roadmapItem { id title done notes rationale suggestedSetting }
    errors { field code message }
  }
}"""
MOVE = """
mutation($id: ID!, $position: Int!) {
  roadmapItemMove(id: $id, position: $position) {
    roadmapItem { id position } roadmap { id position } errors { field code }
  }
}"""
DELETE = """
mutation($id: ID!) { roadmapItemDelete(id: $id) { deletedId errors { field code } } }"""

MEMBERS = """
query($persona: ID!, $after: String) {
  customers(where: {personaId: $persona}, first: 100, after: $after) {
    nodes { id persona { id name } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def personas(gql: GraphQLClient, token: str) -> dict[str, Any]:
    data = await gql.data(PERSONAS, token=token)
    result: dict[str, Any] = data["personas"]
    return result


async def regenerate(gql: GraphQLClient, token: str, force: bool = False) -> dict[str, Any]:
    data = await gql.data(REGENERATE, {"force": force}, token)
    payload: dict[str, Any] = data["personasRegenerate"]
    return payload


async def members(gql: GraphQLClient, token: str, persona_id: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = await gql.data(MEMBERS, {"persona": persona_id, "after": after}, token)
        page = data["customers"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def personal_data(organization_id: Any) -> tuple[set[str], set[str]]:
    """(identifiers to find as substrings, name tokens) of every customer."""
    substrings: set[str] = set()
    names: set[str] = set()
    for c in await Customer.filter(organization_id=organization_id):
        substrings |= {str(c.id), f"{c.first_name} {c.last_name}"}
        for value in (c.email, c.phone, c.external_reference, c.postal_code):
            if value:
                substrings.add(value)
        if c.phone:
            substrings.add(c.phone.lstrip("+"))
        names |= {c.first_name, c.last_name} - {""}
    return substrings, names


class TestEndToEnd:
    async def test_regenerate_run_read_target_and_edit(
        self, gql: GraphQLClient, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        tenant = await seeded_tenant(1_500)
        token = tenant.token
        before = await personas(gql, token)
        assert before["status"] == "NOT_GENERATED"
        assert before["personas"] == []
        assert before["eligibility"] == {"eligible": True, "reasons": []}

        asked = await regenerate(gql, token)
        assert asked["errors"] == []
        assert asked["regeneration"]["status"] == "RUNNING"
        assert await run_worker(settings, redis_url) == 1

        after = await personas(gql, token)
        assert after["status"] == "READY"
        assert after["generatedAt"] is not None
        assert after["regeneration"]["id"] == asked["regeneration"]["id"]
        assert after["regeneration"]["current"] is True
        found = after["personas"]
        assert 3 <= len(found) <= 9
        assert sum(p["size"] for p in found) == after["customerCount"]
        real = [p for p in found if not p["isOther"]]
        assert all(p["motivations"] and p["roadmap"] for p in real)
        assert all(len(p["roadmap"]) >= 3 or p["note"] for p in real)
        assert all(p["size"] >= 10 for p in found)
        shown_names = [p["name"] for p in found]
        assert len(set(shown_names)) == len(shown_names)
        assert not any(re.search(r"\d", n) for n in shown_names), shown_names
        # Seeded items carry one or more units each.
        assert all(p["behaviors"]["unitsPerOrder"] >= 1 for p in real)

        # Targeting: the persona's customers, each showing that persona.
        target = real[0]
        nodes = await members(gql, token, target["id"])
        assert len(nodes) == target["size"]
        assert {n["persona"]["id"] for n in nodes} == {target["id"]}

        # Roadmap editing.
        added = (
            await gql.data(ADD, {"persona": target["id"], "input": {"title": "Pilot"}}, token)
        )["roadmapItemAdd"]
        assert added["errors"] == []
        item = added["roadmapItem"]
        assert item["source"] == "STAFF"
        assert item["position"] == len(target["roadmap"])
        updated = (
            await gql.data(
                UPDATE, {"id": item["id"], "input": {"done": True, "notes": "ok"}}, token
            )
        )["roadmapItemUpdate"]
        assert updated["roadmapItem"]["done"] is True
        assert updated["roadmapItem"]["title"] == "Pilot"
        moved = (await gql.data(MOVE, {"id": item["id"], "position": 0}, token))["roadmapItemMove"]
        assert moved["roadmapItem"]["position"] == 0
        assert moved["roadmap"][0]["id"] == item["id"]
        deleted = (await gql.data(DELETE, {"id": item["id"]}, token))["roadmapItemDelete"]
        assert deleted == {"deletedId": item["id"], "errors": []}

        # Anonymous: no persona field holds anything personal of any customer.
        text = json.dumps(await personas(gql, token))
        substrings, names = await personal_data(tenant.organization_id)
        for value in substrings:
            # Whole values: a postal code "94113" is not in the aggregate 0.94113.
            assert not re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text), value
        # Names as words, leaving out words of place names ("San Diego" is not a Diego).
        word = re.compile(r"[^\W\d_][\w'-]*")
        places = {
            w
            for p in found
            for c in p["demographics"]["topCities"]
            for w in word.findall(c["city"])
        }
        tokens = set(word.findall(text)) - places
        assert not tokens & names, tokens & names

    async def test_refusals_are_typed(
        self, gql: GraphQLClient, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        tenant = await seeded_tenant(300)
        manager = await add_staff(tenant, Role.MANAGER)
        assert (await regenerate(gql, manager.token, force=True))["errors"][0]["code"] == (
            "FORCE_REQUIRES_OWNER"
        )
        assert (await regenerate(gql, manager.token))["errors"] == []
        busy = await regenerate(gql, tenant.token, force=True)
        assert [e["code"] for e in busy["errors"]] == ["REGENERATION_IN_PROGRESS"]
        assert busy["regeneration"] is None
        await run_worker(settings, redis_url)
        limited = await regenerate(gql, manager.token)
        assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]
        assert "an owner can force" in limited["errors"][0]["message"]
        forced = await regenerate(gql, tenant.token, force=True)
        assert forced["errors"] == []
        assert forced["regeneration"]["forced"] is True

        bad = await gql.data(
            ADD, {"persona": tenant.owner_id.hex, "input": {"title": " "}}, tenant.token
        )
        codes = [(e["field"], e["code"]) for e in bad["roadmapItemAdd"]["errors"]]
        assert codes == [("title", "REQUIRED")]
        missing = await gql.data(
            ADD, {"persona": str(tenant.owner_id), "input": {"title": "x"}}, tenant.token
        )
        assert [e["code"] for e in missing["roadmapItemAdd"]["errors"]] == ["NOT_FOUND"]

    async def test_not_eligible_says_what_is_missing(self, gql: GraphQLClient) -> None:
        tenant = await make_tenant()
        view = await personas(gql, tenant.token)
        reasons = view["eligibility"]["reasons"]
        assert [r["requirement"] for r in reasons] == [
            "COMPLETED_ORDERS",
            "BIRTHDAY_REWARD",
            "CUSTOMERS_WITH_ORDERS",
        ]
        refused = await regenerate(gql, tenant.token)
        assert [e["code"] for e in refused["errors"]] == ["NOT_ELIGIBLE"]
        assert "30 completed orders" in refused["errors"][0]["message"]
        assert await PersonaSet.filter(organization_id=tenant.organization_id).count() == 0

    async def test_permissions(self, gql: GraphQLClient, tenant: Tenant) -> None:
        analyst = await add_staff(tenant, Role.ANALYST)
        clerk = await add_staff(tenant, Role.STAFF)
        assert (await personas(gql, analyst.token))["status"] == "NOT_GENERATED"
        assert await gql.error_codes(REGENERATE, {"force": False}, analyst.token) == ["FORBIDDEN"]
        assert await gql.error_codes(PERSONAS, token=clerk.token) == ["FORBIDDEN"]
        edit = {"persona": str(tenant.owner_id), "input": {"title": "x"}}
        assert await gql.error_codes(ADD, edit, analyst.token) == ["FORBIDDEN"]

    async def test_a_failed_regeneration_is_shown_and_keeps_the_current_personas(
        self, gql: GraphQLClient, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        tenant = await seeded_tenant(300)
        await regenerate(gql, tenant.token)
        await run_worker(settings, redis_url)
        current = await personas(gql, tenant.token)
        forced = await regenerate(gql, tenant.token, force=True)
        await PersonaSet.filter(id=forced["regeneration"]["id"]).update(
            status=PersonaSetStatus.FAILED, error_code="TIMED_OUT"
        )
        view = await personas(gql, tenant.token)
        assert view["status"] == "FAILED"
        assert view["regeneration"]["errorCode"] == "TIMED_OUT"
        assert [p["id"] for p in view["personas"]] == [p["id"] for p in current["personas"]]
        assert [h["status"] for h in view["history"]] == ["FAILED", "READY"]
