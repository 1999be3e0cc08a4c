"""Predictions through GraphQL: the customer's figures (stored and other horizons), the model,
the churn risk filter and counts, and the refit mutation run by a real worker."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any, cast

from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import Settings
from app.core.clock import utcnow
from app.models.customer import Customer
from app.models.prediction import PredictionModel
from app.models.staff import Role
from app.predictions import bgnbd, gamma_gamma
from app.predictions.service import refit_predictions
from tests.burst_worker import run_worker
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff
from tests.predictions.histories import moment, one, simulated, write
from tests.predictions.test_refit import AS_OF, WEEKS, bgnbd_params, gg_params

CUSTOMER = """
query($id: ID!, $days: Int!) {
  customer(id: $id) {
    predictions {
      probabilityAlive churnRisk modelFittedAt
      expectedOrders orders30: expectedOrders(days: $days)
      expectedSpend spend30: expectedSpend(days: $days)
    }
  }
}"""

MODEL = """
{ predictionModel { status reasonCode reason fittedAt asOf customers repeatBuyers parameters
  calibration converged logLikelihood } }"""

REFIT = """
mutation($asOf: DateTime) {
  predictionModelRefit(asOf: $asOf) { requested asOf errors { field code message } }
}"""


async def fitted(tenant: Tenant, customers: int = 500) -> PredictionModel:
    await write(tenant.organization_id, simulated(customers, WEEKS, 13))
    return (await refit_predictions(Principal.system(tenant.organization_id), as_of=AS_OF)).model


async def test_a_customer_s_predictions_at_stored_and_other_horizons(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    model = await fitted(tenant)
    customer = await Customer.filter(
        organization_id=tenant.organization_id, prediction_frequency__gt=1
    ).first()
    assert customer is not None

    data = await gql.data(CUSTOMER, {"id": str(customer.id), "days": 30}, tenant.token)

    found = data["customer"]["predictions"]
    assert Decimal(found["probabilityAlive"]) == customer.predicted_probability_alive
    assert found["churnRisk"] == customer.churn_risk
    assert dt.datetime.fromisoformat(found["modelFittedAt"]) == model.fitted_at
    assert Decimal(found["expectedOrders"]) == customer.predicted_orders_90d
    assert Decimal(found["expectedSpend"]) == customer.predicted_spend_365d
    x = float(customer.prediction_frequency or 0)
    t_x = (customer.prediction_recency_days or 0) / 7
    age = (customer.prediction_age_days or 0) / 7
    params = bgnbd_params(model)
    orders = one(bgnbd.expected_purchases(params, 30 / 7, x, t_x, age))
    assert abs(float(found["orders30"]) - orders) <= 0.0001
    spend = gamma_gamma.expected_spend(
        params,
        gg_params(model),
        30 / 7,
        x,
        t_x,
        age,
        float(customer.prediction_monetary_mean or 0),
    )
    assert abs(float(found["spend30"]) - one(spend)) <= 0.01
    # Fewer orders in 30 days than in 90.
    assert Decimal(found["orders30"]) < Decimal(found["expectedOrders"])


async def test_a_horizon_out_of_range_is_refused(gql: GraphQLClient, tenant: Tenant) -> None:
    await fitted(tenant)
    customer = await Customer.filter(organization_id=tenant.organization_id).first()
    assert customer is not None
    for days in (0, -5, 3651):
        codes = await gql.error_codes(
            CUSTOMER, {"id": str(customer.id), "days": days}, tenant.token
        )
        assert codes
        assert set(codes) == {"INVALID_ARGUMENT"}


async def test_without_a_model_predictions_are_null(gql: GraphQLClient, tenant: Tenant) -> None:
    customer = await Customer.create(organization_id=tenant.organization_id, first_name="N")
    data = await gql.data(CUSTOMER, {"id": str(customer.id), "days": 30}, tenant.token)
    assert data["customer"]["predictions"] is None
    assert (await gql.data(MODEL, token=tenant.token))["predictionModel"] is None


async def test_the_model(gql: GraphQLClient, tenant: Tenant) -> None:
    model = await fitted(tenant)
    found = (await gql.data(MODEL, token=tenant.token))["predictionModel"]
    assert found["status"] == "FITTED"
    assert found["reasonCode"] is None
    assert dt.datetime.fromisoformat(found["asOf"]) == AS_OF
    assert found["customers"] == model.customers == 500
    assert found["repeatBuyers"] == model.repeat_buyers
    assert found["parameters"]["timeUnit"] == "weeks"
    assert set(found["parameters"]["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(found["parameters"]["gammaGamma"]) == {"p", "q", "v", "converged"}
    assert found["calibration"] == model.calibration
    assert found["converged"] is True


async def test_filter_and_counts_by_churn_risk(gql: GraphQLClient, tenant: Tenant) -> None:
    await fitted(tenant, 300)
    never = await Customer.create(organization_id=tenant.organization_id, first_name="Never")
    stored = await Customer.filter(organization_id=tenant.organization_id).values_list(
        "churn_risk", flat=True
    )
    risks: Counter[str | None] = Counter(cast("list[str | None]", stored))
    assert risks[None] == 1

    stats = await gql.data(
        "{ customerStats { customers byChurnRisk { risk count } } }", token=tenant.token
    )
    by_risk = {r["risk"]: r["count"] for r in stats["customerStats"]["byChurnRisk"]}
    assert by_risk == {k: risks.get(k, 0) for k in (None, "LOW", "MEDIUM", "HIGH")}
    assert sum(by_risk.values()) == stats["customerStats"]["customers"] == 301

    query = """
    query($where: CustomerWhereInput) {
      customers(where: $where, first: 100) { totalCount nodes { id predictions { churnRisk } } }
    }"""
    for wanted in (["HIGH"], ["LOW", "MEDIUM"]):
        data = await gql.data(query, {"where": {"churnRisks": wanted}}, tenant.token)
        page = data["customers"]
        assert page["totalCount"] == sum(risks.get(k, 0) for k in wanted)
        assert {n["predictions"]["churnRisk"] for n in page["nodes"]} <= set(wanted)
        assert str(never.id) not in {n["id"] for n in page["nodes"]}


async def queued_refits(arq_redis: ArqRedis, org: uuid.UUID) -> list[str]:
    return sorted(
        j.job_id or ""
        for j in await arq_redis.queued_jobs()
        if (j.job_id or "").startswith(f"predictions:{org}")
    )


class TestRefitMutation:
    async def test_asked_twice_one_job_run_by_a_worker(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        org = tenant.organization_id
        await write(org, simulated(300, WEEKS, 17))
        for _ in range(2):
            data = await gql.data(REFIT, {}, tenant.token)
            assert data["predictionModelRefit"] == {"requested": True, "asOf": None, "errors": []}
        assert await queued_refits(arq_redis, org) == [f"predictions:{org}"]

        assert await run_worker(settings, redis_url) == 1

        model = (await gql.data(MODEL, token=tenant.token))["predictionModel"]
        assert model["status"] == "FITTED"
        assert model["customers"] == 300
        assert await Customer.filter(organization_id=org, predicted_at__isnull=True).count() == 0

    async def test_as_of_a_past_moment(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        org = tenant.organization_id
        await write(org, simulated(300, WEEKS, 19))
        as_of = moment(30 * 7)
        data = await gql.data(REFIT, {"asOf": as_of.isoformat()}, tenant.token)
        assert dt.datetime.fromisoformat(data["predictionModelRefit"]["asOf"]) == as_of
        moment_text = as_of.astimezone(dt.UTC).isoformat()
        assert await queued_refits(arq_redis, org) == [f"predictions:{org}:{moment_text}"]
        assert await run_worker(settings, redis_url) == 1
        model = (await gql.data(MODEL, token=tenant.token))["predictionModel"]
        assert dt.datetime.fromisoformat(model["asOf"]) == as_of

    async def test_a_moment_in_the_future_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        later = (utcnow() + dt.timedelta(hours=1)).isoformat()
        data = await gql.data(REFIT, {"asOf": later}, tenant.token)
        assert data["predictionModelRefit"] == {
            "requested": False,
            "asOf": None,
            "errors": [
                {
                    "field": "asOf",
                    "code": "AS_OF_IN_FUTURE",
                    "message": "The moment to measure to must not be in the future.",
                }
            ],
        }
        assert await queued_refits(arq_redis, tenant.organization_id) == []

    async def test_roles_without_the_permission_are_refused(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        for role in (Role.ANALYST, Role.MARKETING_ANALYST, Role.STAFF, Role.OPERATOR):
            member = await add_staff(tenant, role)
            assert await gql.error_codes(REFIT, token=member.token) == ["FORBIDDEN"]
        assert await queued_refits(arq_redis, tenant.organization_id) == []
        marketing = await add_staff(tenant, Role.MARKETING)
        data = await gql.data(REFIT, token=marketing.token)
        assert data["predictionModelRefit"]["requested"] is True


async def test_another_organization_s_model_is_not_seen(
    gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await fitted(tenant, 300)
    found: dict[str, Any] = await gql.data(MODEL, token=other_tenant.token)
    assert found["predictionModel"] is None
