from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import Settings
from app.core.clock import utcnow
from app.lifecycle.service import recompute_segments
from app.models.staff import Role
from tests.burst_worker import run_worker
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff
from tests.lifecycle.fixtures import NOW, add_customer

CUSTOMERS = """
query($where: CustomerWhereInput) {
  customers(where: $where, first: 100) {
    nodes {
      firstName lifecycleStage orderCount totalSpent lastOrderAt
      rfm { recency frequency monetary segment }
    }
  }
}"""


async def customers(
    gql: GraphQLClient, tenant: Tenant, where: dict[str, Any]
) -> list[dict[str, Any]]:
    data = await gql.data(CUSTOMERS, {"where": where}, tenant.token)
    nodes: list[dict[str, Any]] = data["customers"]["nodes"]
    return nodes


def names(nodes: list[dict[str, Any]]) -> list[str]:
    return sorted(n["firstName"] for n in nodes)


async def seed(tenant: Tenant) -> None:
    org = tenant.organization_id
    # (number, days ago, totals); default thresholds 180 / 365 days.
    for number, days, totals in [
        (1, 400.0, ("10.00",)),  # LOST          R1 F1 M2 -> LOST
        (2, 200.0, ("30.00", "30.00")),  # AT_RISK  R2 F3 M3 -> AT_RISK
        (3, 190.0, ("5.00",)),  # AT_RISK        R3 F2 M1 -> ABOUT_TO_SLEEP
        (4, 20.0, ("50.00", "50.00", "50.00")),  # ACTIVE  R4 F4 M4 -> LOYAL
        (5, 2.0, ("99.00", "99.00", "99.00", "99.00")),  # ACTIVE  R5 F5 M5 -> CHAMPIONS
    ]:
        await add_customer(org, number, days_ago=days, totals=totals)
    await add_customer(org, 6)  # MEMBER, no scores
    await recompute_segments(Principal.system(org), now=NOW)


class TestCustomerFilters:
    async def test_lifecycle_stages(self, gql: GraphQLClient, tenant: Tenant) -> None:
        await seed(tenant)

        at_risk = await customers(gql, tenant, {"lifecycleStages": ["AT_RISK"]})
        assert names(at_risk) == ["C02", "C03"]
        assert {n["lifecycleStage"] for n in at_risk} == {"AT_RISK"}

        either = await customers(gql, tenant, {"lifecycleStages": ["MEMBER", "LOST"]})
        assert names(either) == ["C01", "C06"]
        assert len(await customers(gql, tenant, {"lifecycleStages": []})) == 6

    async def test_rfm_segments(self, gql: GraphQLClient, tenant: Tenant) -> None:
        await seed(tenant)

        best = await customers(gql, tenant, {"rfmSegments": ["CHAMPIONS", "LOYAL"]})
        assert names(best) == ["C04", "C05"]
        champion = next(n for n in best if n["firstName"] == "C05")
        assert champion["rfm"] == {
            "recency": 5,
            "frequency": 5,
            "monetary": 5,
            "segment": "CHAMPIONS",
        }
        assert champion["orderCount"] == 4
        assert champion["totalSpent"] == "396.00"
        assert champion["lastOrderAt"].startswith("2026-05-30T12:00:00")

        both = await customers(
            gql, tenant, {"lifecycleStages": ["AT_RISK"], "rfmSegments": ["ABOUT_TO_SLEEP"]}
        )
        assert names(both) == ["C03"]

    async def test_customer_without_orders_has_no_rfm(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await seed(tenant)
        member = await customers(gql, tenant, {"lifecycleStages": ["MEMBER"]})
        assert member == [
            {
                "firstName": "C06",
                "lifecycleStage": "MEMBER",
                "orderCount": 0,
                "totalSpent": "0.00",
                "lastOrderAt": None,
                "rfm": None,
            }
        ]


SEGMENTS_RECOMPUTE = """
mutation($asOf: DateTime) {
  segmentsRecompute(asOf: $asOf) { requested asOf errors { field code message } }
}"""


async def queued_refreshes(arq_redis: ArqRedis, org: uuid.UUID) -> list[str]:
    return sorted(
        j.job_id or ""
        for j in await arq_redis.queued_jobs()
        if (j.job_id or "").startswith(f"segments:{org}")
    )


class TestSegmentsRecompute:
    async def test_as_of_a_past_moment_through_a_worker(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        org = tenant.organization_id
        now = utcnow()
        await add_customer(org, 1, days_ago=400, totals=("10.00",), now=now)
        await add_customer(org, 2, days_ago=30, totals=("10.00", "20.00"), now=now)
        await add_customer(org, 3, days_ago=2, totals=("99.00",), now=now)
        as_of = now - dt.timedelta(days=100)

        data = await gql.data(SEGMENTS_RECOMPUTE, {"asOf": as_of.isoformat()}, tenant.token)

        payload = data["segmentsRecompute"]
        assert payload["requested"] is True
        assert payload["errors"] == []
        assert dt.datetime.fromisoformat(payload["asOf"]) == as_of
        moment = as_of.astimezone(dt.UTC).isoformat()
        assert await queued_refreshes(arq_redis, org) == [f"segments:{org}:{moment}"]
        assert await run_worker(settings, redis_url) >= 1
        rows = await gql.data(
            "{ customers(first: 10) { nodes { firstName lifecycleStage rfm { segment } } } }",
            token=tenant.token,
        )
        by_name = {n["firstName"]: n for n in rows["customers"]["nodes"]}
        # 100 days ago only customer 1 had bought (300 days before it: AT_RISK, not LOST).
        assert by_name["C01"]["lifecycleStage"] == "AT_RISK"
        assert by_name["C01"]["rfm"] is not None
        assert [by_name[n]["rfm"] for n in ("C02", "C03")] == [None, None]
        assert {by_name[n]["lifecycleStage"] for n in ("C02", "C03")} == {"MEMBER"}

        # Without asOf: measured to now, the organization's ordinary refresh job.
        data = await gql.data(SEGMENTS_RECOMPUTE, {}, tenant.token)
        assert data["segmentsRecompute"] == {"requested": True, "asOf": None, "errors": []}
        assert await queued_refreshes(arq_redis, org) == [f"segments:{org}"]
        assert await run_worker(settings, redis_url) >= 1
        rows = await gql.data(
            "{ customers(first: 10) { nodes { firstName lifecycleStage } } }", token=tenant.token
        )
        stages = {n["firstName"]: n["lifecycleStage"] for n in rows["customers"]["nodes"]}
        assert stages == {"C01": "LOST", "C02": "ACTIVE", "C03": "ONE_TIME_BUYER"}

    async def test_a_moment_in_the_future_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        later = (utcnow() + dt.timedelta(hours=1)).isoformat()

        data = await gql.data(SEGMENTS_RECOMPUTE, {"asOf": later}, tenant.token)

        assert data["segmentsRecompute"]["requested"] is False
        assert data["segmentsRecompute"]["errors"] == [
            {
                "field": "asOf",
                "code": "AS_OF_IN_FUTURE",
                "message": "The moment to measure to must not be in the future.",
            }
        ]
        assert await queued_refreshes(arq_redis, tenant.organization_id) == []

    async def test_roles_without_the_permission_are_refused(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        for role in (Role.ANALYST, Role.MARKETING_ANALYST, Role.STAFF, Role.OPERATOR):
            member = await add_staff(tenant, role)
            assert await gql.error_codes(SEGMENTS_RECOMPUTE, token=member.token) == ["FORBIDDEN"]
        assert await queued_refreshes(arq_redis, tenant.organization_id) == []
        marketing = await add_staff(tenant, Role.MARKETING)
        data = await gql.data(SEGMENTS_RECOMPUTE, token=marketing.token)
        assert data["segmentsRecompute"]["requested"] is True

    async def test_one_organization_recomputes_only_its_own_customers(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        other_tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        now = utcnow()
        for org in (tenant.organization_id, other_tenant.organization_id):
            await add_customer(org, 1, days_ago=3, totals=("10.00", "20.00"), now=now)

        data = await gql.data(SEGMENTS_RECOMPUTE, {}, other_tenant.token)
        assert data["segmentsRecompute"]["requested"] is True
        assert await run_worker(settings, redis_url) >= 1

        mine = await customers(gql, other_tenant, {})
        theirs = await customers(gql, tenant, {})
        assert [(n["lifecycleStage"], n["rfm"] is None) for n in mine] == [("ACTIVE", False)]
        assert [(n["lifecycleStage"], n["rfm"]) for n in theirs] == [("MEMBER", None)]
