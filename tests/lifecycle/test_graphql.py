from __future__ import annotations

from typing import Any

from app.auth.principal import Principal
from app.lifecycle.service import recompute_segments
from tests.conftest import GraphQLClient, Tenant
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
