"""Personas "as of" a past moment: later orders (and their items) are left out of the
features, recency is measured to the moment, and the request keeps it for the run."""

from __future__ import annotations

import datetime as dt

from app.core.clock import utcnow
from app.models.persona import PersonaSetStatus
from app.personas import service
from app.personas.features import Col, load_features, load_vocabulary
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.personas.fixtures import AS_OF, add_buyer, seeded_tenant, staff
from tests.personas.test_features import row

REGENERATE = """
mutation($asOf: DateTime) {
  personasRegenerate(force: true, asOf: $asOf) { regeneration { id } errors { field code } }
}"""


class TestFeaturesAsOf:
    async def test_later_orders_are_left_out_and_recency_measured_to_it(self) -> None:
        tenant = await make_tenant()
        org = tenant.organization_id
        # Orders 2, 12, 22 and 32 days before AS_OF; another buyer's only order 1 day before.
        regular = await add_buyer(org, 1, orders=4, total="30.00", days_ago=2, gap_days=10)
        await add_buyer(org, 2, orders=1, days_ago=1)
        vocabulary = await load_vocabulary(org)

        today = await load_features(org, AS_OF, vocabulary)
        earlier = await load_features(org, AS_OF - dt.timedelta(days=15), vocabulary)

        assert len(today) == 2
        assert row(today, regular.id)[Col.ORDERS.name] == 4
        # 15 days earlier the newcomer had not bought and the regular had two orders.
        assert earlier.customer_ids() == [regular.id]
        seen = row(earlier, regular.id)
        assert seen[Col.ORDERS.name] == 2
        assert seen[Col.SPENT.name] == 60
        assert seen[Col.ITEMS.name] == 2
        assert abs(seen[Col.RECENCY_DAYS.name] - 7) < 1e-3
        assert abs(seen[Col.TENURE_DAYS.name] - 17) < 1e-3


class TestRegenerationAsOf:
    async def test_the_run_measures_to_the_requested_moment(self) -> None:
        tenant = await seeded_tenant(600)
        everyone = await service.request_regeneration(staff(tenant), force=True)
        done = await service.run_generation(staff(tenant), everyone.id, as_of=AS_OF)
        assert done is not None
        assert done.status is PersonaSetStatus.READY

        # Half a year before the histories end: fewer customers had bought yet. The run is
        # given no moment: it reads the one the request stored.
        moment = AS_OF - dt.timedelta(days=180)
        requested = await service.request_regeneration(staff(tenant), force=True, as_of=moment)
        assert requested.details is not None
        assert requested.details["asOf"] == moment.isoformat()
        earlier = await service.run_generation(staff(tenant), requested.id)

        assert earlier is not None
        assert earlier.status is PersonaSetStatus.READY
        assert 0 < earlier.customer_count < done.customer_count

    async def test_a_moment_in_the_future_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        later = (utcnow() + dt.timedelta(days=1)).isoformat()
        data = await gql.data(REGENERATE, {"asOf": later}, tenant.token)
        assert data["personasRegenerate"] == {
            "regeneration": None,
            "errors": [{"field": "asOf", "code": "AS_OF_IN_FUTURE"}],
        }
