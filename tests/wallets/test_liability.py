"""The finance figures add up to the rows they describe: the points liability to the ledger
and the balances, points expiring to the unspent lots, and each month of the ledger summary
to its entries (months in the organization's time zone)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.core.clock import utcnow
from app.models.customer import Customer
from app.models.staff import Role
from app.models.wallet import LedgerEntry, LedgerKind
from app.wallets.ledger import Movement
from app.wallets.liability import SUMMARY_COLUMNS
from app.wallets.service import move_points
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.factories import add_staff, owner_of

LIABILITY = """
{ pointsLiability { asOf outstandingPoints pointValue value
                    expiring { withinDays points value } } }"""
SUMMARY = """
query($from: Date!, $to: Date!) {
  ledgerSummary(from: $from, to: $to, groupBy: MONTH) {
    start end issued reversed redeemed expired adjusted merged erased net entries
  }
}"""
ZONE = "America/New_York"
# Months spanned by the seeded entries; the summary below reads a part of them.
START = dt.datetime(2025, 10, 20, tzinfo=dt.UTC)


async def seed(tenant: Tenant, rng: random.Random, customers: int = 8) -> None:
    """Movements of every kind through the ledger (so balances and lots stay true), then
    spread over five months by their time, some within hours of a month's end."""
    principal = owner_of(tenant)
    now = utcnow()
    for _ in range(customers):
        customer = await Customer.create(organization_id=tenant.organization_id)
        for _ in range(rng.randint(3, 9)):
            kind = rng.choice(list(LedgerKind))
            if kind in (
                LedgerKind.EARN,
                LedgerKind.MERGE_IN,
                LedgerKind.UNMERGE,
                LedgerKind.ADJUST,
            ):
                days = rng.choice([None, 10, 45, 80, 200, -3])
                expires = now + dt.timedelta(days=days) if days is not None else None
                points = rng.randint(1, 500)
                if kind is LedgerKind.ADJUST and rng.random() < 0.3:
                    points = -points
                movement = Movement(kind, points, "seed", expires_at=expires)
            else:
                fresh = await Customer.get(id=customer.id)
                if fresh.points_balance == 0:
                    continue
                points = -rng.randint(1, fresh.points_balance)
                movement = Movement(kind, points, "seed")
            if movement.points < 0:
                fresh = await Customer.get(id=customer.id)
                if fresh.points_balance + movement.points < 0:
                    continue
            await move_points(principal, customer.id, movement)
    for entry in await LedgerEntry.filter(organization_id=tenant.organization_id):
        moment = START + dt.timedelta(days=rng.randint(0, 150), hours=rng.choice([0, 2, 23]))
        await LedgerEntry.filter(id=entry.id).update(created_at=moment)


async def set_zone(gql: GraphQLClient, tenant: Tenant) -> None:
    done = await gql.data(
        "mutation($tz: String!) { organizationUpdate(input: {timezone: $tz}) { errors { code } } }",
        {"tz": ZONE},
        tenant.token,
    )
    assert done["organizationUpdate"]["errors"] == []


def expected_summary(
    entries: list[LedgerEntry], start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    zone = ZoneInfo(ZONE)
    months: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    column_of = {kind: column for column, kinds in SUMMARY_COLUMNS.items() for kind in kinds}
    for entry in entries:
        day = entry.created_at.astimezone(zone).date()
        if start <= day <= end:
            bucket = months[(day.year, day.month)]
            bucket[column_of[entry.kind]] += entry.points
            bucket["net"] += entry.points
            bucket["entries"] += 1
    rows = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first = max(start, dt.date(year, month, 1))
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        last = min(end, following - dt.timedelta(days=1))
        sums = months[(year, month)]
        rows.append(
            {
                "start": first.isoformat(),
                "end": last.isoformat(),
                **{column: sums[column] for column in SUMMARY_COLUMNS},
                "net": sums["net"],
                "entries": sums["entries"],
            }
        )
        year, month = following.year, following.month
    return rows


class TestPointsLiability:
    async def test_matches_the_ledger_and_the_lots(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await seed(tenant, random.Random(16))
        other = await make_tenant("Other")
        await seed(other, random.Random(17), customers=3)
        done = await gql.data(
            'mutation { loyaltyProgramUpdate(input: {pointValue: "0.025"}) { errors { code } } }',
            token=tenant.token,
        )
        assert done["loyaltyProgramUpdate"]["errors"] == []

        found = (await gql.data(LIABILITY, token=tenant.token))["pointsLiability"]
        entries = await LedgerEntry.filter(organization_id=tenant.organization_id)
        customers = await Customer.filter(organization_id=tenant.organization_id)
        outstanding = sum(e.points for e in entries)
        assert outstanding == sum(c.points_balance for c in customers)
        assert outstanding > 0
        assert found["outstandingPoints"] == outstanding
        assert Decimal(found["pointValue"]) == Decimal("0.025")
        assert Decimal(found["value"]) == (Decimal("0.025") * outstanding).quantize(Decimal("0.01"))

        as_of = dt.datetime.fromisoformat(found["asOf"])
        expiring: list[dict[str, Any]] = []
        for days in (30, 60, 90):
            until = as_of + dt.timedelta(days=days)
            points = sum(e.remaining for e in entries if e.expires_at and e.expires_at <= until)
            expiring.append(
                {
                    "withinDays": days,
                    "points": points,
                    "value": str((Decimal("0.025") * points).quantize(Decimal("0.01"))),
                }
            )
        assert found["expiring"] == expiring
        assert expiring[0]["points"] < expiring[2]["points"]

    async def test_an_empty_program_owes_nothing(self, gql: GraphQLClient, tenant: Tenant) -> None:
        found = (await gql.data(LIABILITY, token=tenant.token))["pointsLiability"]
        assert found["outstandingPoints"] == 0
        assert Decimal(found["pointValue"]) == Decimal("0.01")
        assert [e["points"] for e in found["expiring"]] == [0, 0, 0]


class TestLedgerSummary:
    async def test_months_match_the_entries_row_by_row(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await set_zone(gql, tenant)
        await seed(tenant, random.Random(5), customers=10)
        await seed(await make_tenant("Other"), random.Random(6), customers=3)
        entries = await LedgerEntry.filter(organization_id=tenant.organization_id)
        for start, end in (
            (dt.date(2025, 11, 15), dt.date(2026, 3, 10)),
            (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
            (dt.date(2026, 1, 31), dt.date(2026, 2, 1)),
        ):
            rows = await gql.data(
                SUMMARY, {"from": start.isoformat(), "to": end.isoformat()}, tenant.token
            )
            assert rows["ledgerSummary"] == expected_summary(entries, start, end), (start, end)
        whole = await gql.data(SUMMARY, {"from": "2025-01-01", "to": "2026-12-31"}, tenant.token)
        assert sum(r["net"] for r in whole["ledgerSummary"]) == sum(e.points for e in entries)
        assert {e.kind for e in entries} >= {LedgerKind.EARN, LedgerKind.REDEEM, LedgerKind.ERASE}

    async def test_bad_ranges_are_typed_errors(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for start, end in (("2026-03-01", "2026-02-28"), ("2020-01-01", "2023-01-01")):
            codes = await gql.error_codes(SUMMARY, {"from": start, "to": end}, tenant.token)
            assert codes == ["INVALID_ARGUMENT"], (start, end)


async def test_finance_figures_are_for_finance_roles(gql: GraphQLClient, tenant: Tenant) -> None:
    variables = {"from": "2026-01-01", "to": "2026-01-31"}
    for role, allowed in ((Role.ANALYST, True), (Role.MARKETING, False), (Role.OPERATOR, False)):
        member = await add_staff(tenant, role)
        for document in (LIABILITY, SUMMARY):
            codes = await gql.error_codes(document, variables, member.token)
            assert codes == ([] if allowed else ["FORBIDDEN"]), (role, document)
