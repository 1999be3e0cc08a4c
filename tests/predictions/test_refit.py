"""A refit on simulated order histories written to the database: the stored figures are the
model functions' values for what each customer bought, row by row; too little history gives a
reason and no figures; a second run changes nothing; "as of" ignores later orders."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.models.customer import Customer
from app.models.order import Order, OrderStatus
from app.models.prediction import PredictionModel, PredictionModelStatus
from app.predictions import bgnbd, churn, gamma_gamma
from app.predictions.errors import PredictionErrorCode
from app.predictions.service import refit_predictions
from tests.conftest import Tenant
from tests.predictions import histories
from tests.predictions.histories import History, moment, one, seen, simulated, write
from workers.predictions import refit_predictions as refit_job

WEEKS = 52
AS_OF_DAY = WEEKS * 7
AS_OF = moment(AS_OF_DAY)


def bgnbd_params(model: PredictionModel) -> bgnbd.BgNbdParams:
    p = model.parameters["bgnbd"]
    return bgnbd.BgNbdParams(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"])


def gg_params(model: PredictionModel) -> gamma_gamma.GammaGammaParams:
    p = model.parameters["gammaGamma"]
    return gamma_gamma.GammaGammaParams(p=p["p"], q=p["q"], v=p["v"])


async def seeded(tenant: Tenant, customers: int = 600, seed: int = 3) -> list[History]:
    found = simulated(customers, WEEKS, seed)
    await write(tenant.organization_id, found)
    return found


async def figures(org: uuid.UUID) -> dict[str, tuple[object, ...]]:
    rows = await Customer.filter(organization_id=org).values_list(
        "first_name",
        "predicted_probability_alive",
        "predicted_orders_90d",
        "predicted_spend_365d",
        "churn_risk",
        "prediction_frequency",
        "prediction_recency_days",
        "prediction_age_days",
    )
    return {str(row[0]): tuple(row[1:]) for row in rows}


async def test_stored_figures_are_the_model_functions_row_by_row(tenant: Tenant) -> None:
    simulated_histories = await seeded(tenant)
    outcome = await refit_predictions(Principal.system(tenant.organization_id), as_of=AS_OF)

    model = outcome.model
    assert model.status == PredictionModelStatus.FITTED
    assert model.converged
    assert model.customers == len(simulated_histories)
    assert outcome.scored == len(simulated_histories)
    assert model.repeat_buyers == sum(1 for h in simulated_histories if len(h.days) > 1)
    params, spend_params = bgnbd_params(model), gg_params(model)
    stored = await figures(tenant.organization_id)
    for n, history in enumerate(simulated_histories):
        expected = seen(history, AS_OF_DAY)
        assert expected is not None
        p_alive, orders, spend, risk, x, recency, age = stored[f"P{n}"]
        assert (x, recency, age) == (expected.x, expected.recency, expected.age)
        t_x, t = expected.recency / 7, expected.age / 7
        alive = one(bgnbd.probability_alive(params, expected.x, t_x, t))
        assert float(p_alive) == pytest.approx(alive, abs=1e-6)  # type: ignore[arg-type]
        assert risk == churn.churn_risk(alive)
        e90 = one(bgnbd.expected_purchases(params, 90 / 7, expected.x, t_x, t))
        assert float(orders) == pytest.approx(e90, abs=1e-4)  # type: ignore[arg-type]
        value = one(
            gamma_gamma.expected_spend(
                params,
                spend_params,
                365 / 7,
                expected.x,
                t_x,
                t,
                float(expected.monetary or 0),
            )
        )
        assert float(spend) == pytest.approx(value, abs=0.011, rel=1e-6)  # type: ignore[arg-type]


async def test_too_little_history_gives_a_reason_and_no_figures(tenant: Tenant) -> None:
    await write(tenant.organization_id, simulated(600, WEEKS, 5))
    system = Principal.system(tenant.organization_id)
    await refit_predictions(system, as_of=AS_OF)
    assert await Customer.filter(predicted_at__isnull=False).count() == 600

    # Refunds leave a handful of one-time buyers: no model, and the old figures go.
    kept = await Customer.filter(organization_id=tenant.organization_id).limit(3)
    await (
        Order.filter(organization_id=tenant.organization_id)
        .exclude(customer_id__in=[c.id for c in kept])
        .update(status=OrderStatus.REFUNDED)
    )
    outcome = await refit_predictions(system, as_of=AS_OF)

    model = outcome.model
    assert model.status == PredictionModelStatus.INELIGIBLE
    assert model.reason_code
    assert model.reason
    assert model.customers == 3
    assert model.parameters == {}
    assert outcome.cleared == 600
    assert await Customer.filter(predicted_at__isnull=False).count() == 0
    assert await Customer.filter(churn_risk__isnull=False).count() == 0


async def test_an_organization_without_orders_is_ineligible(tenant: Tenant) -> None:
    outcome = await refit_predictions(Principal.system(tenant.organization_id))
    assert outcome.model.status == PredictionModelStatus.INELIGIBLE
    assert outcome.model.customers == 0
    assert outcome.model.calibration is None


async def test_the_refit_job_twice_writes_the_same_figures(tenant: Tenant) -> None:
    await seeded(tenant, 400, seed=11)
    org = str(tenant.organization_id)
    first = await refit_job({"job_try": 1}, org, AS_OF.isoformat())
    once = await figures(tenant.organization_id)
    model = await PredictionModel.get(organization_id=tenant.organization_id)
    second = await refit_job({"job_try": 1}, org, AS_OF.isoformat())

    assert first is not None
    assert second is not None
    assert first["status"] == second["status"] == "FITTED"
    assert first["scored"] == second["scored"] == 400
    assert second["cleared"] == 0
    assert await figures(tenant.organization_id) == once
    again = await PredictionModel.get(organization_id=tenant.organization_id)
    assert again.id == model.id
    assert again.parameters == model.parameters
    assert await PredictionModel.filter(organization_id=tenant.organization_id).count() == 1


async def test_the_refit_job_skips_what_it_cannot_read(tenant: Tenant) -> None:
    assert await refit_job({"job_try": 1}, str(uuid.uuid4())) is None
    assert await refit_job({"job_try": 1}, "not-an-id") is None
    assert await refit_job({"job_try": 1}, str(tenant.organization_id), "yesterday") is None
    assert await PredictionModel.all().count() == 0


async def test_as_of_ignores_later_orders(tenant: Tenant) -> None:
    simulated_histories = await seeded(tenant, 800, seed=7)
    earlier_day = 20 * 7
    outcome = await refit_predictions(
        Principal.system(tenant.organization_id), as_of=moment(earlier_day)
    )

    assert outcome.model.as_of == moment(earlier_day)
    stored = await figures(tenant.organization_id)
    expected_customers = 0
    for n, history in enumerate(simulated_histories):
        expected = seen(history, earlier_day)
        row = stored[f"P{n}"]
        if expected is None:
            # First purchase after the as-of day: not a customer yet for the model.
            assert row == (None,) * 7
            continue
        expected_customers += 1
        assert row[4:] == (expected.x, expected.recency, expected.age)
    assert outcome.model.customers == expected_customers
    assert 0 < expected_customers < len(simulated_histories)


async def test_as_of_in_the_future_is_refused(tenant: Tenant) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        await refit_predictions(Principal.system(tenant.organization_id), as_of=later)
    assert caught.value.code == PredictionErrorCode.AS_OF_IN_FUTURE


async def test_calibration_compares_the_held_back_period(tenant: Tenant) -> None:
    simulated_histories = await seeded(tenant, 1500, seed=21)
    model = (await refit_predictions(Principal.system(tenant.organization_id), as_of=AS_OF)).model

    calibration = model.calibration
    assert calibration is not None
    assert not calibration["skipped"]
    holdout = calibration["holdoutDays"]
    assert holdout == 13 * 7  # a quarter of 52 weeks
    cutoff = AS_OF_DAY - holdout
    actual = sum(
        sum(1 for d in h.days if cutoff <= d <= AS_OF_DAY)
        for h in simulated_histories
        if h.days[0] < cutoff
    )
    assert calibration["actualTotal"] == pytest.approx(actual)
    assert np.isfinite(calibration["predictedTotal"])
    assert sum(b["customers"] for b in calibration["buckets"]) == calibration["customers"]


def test_history_days_match_the_database_day_numbers() -> None:
    # The helper and the repository count days the same way (UTC days).
    from app.predictions.repository import day_number

    assert day_number(moment(10)) - day_number(moment(0)) == 10
    assert histories.day_of(moment(10)) == 10


def test_a_gamma_gamma_fit_at_its_bounds_is_used_but_not_a_non_finite_one() -> None:
    from app.predictions.refit import usable_spend_fit

    def fit(q: float, *, converged: bool) -> gamma_gamma.GammaGammaFit:
        params = gamma_gamma.GammaGammaParams(p=0.8, q=q, v=1.1e6)
        return gamma_gamma.GammaGammaFit(params, -2281.7, converged, 47, 419)

    assert usable_spend_fit(fit(6155.8, converged=True))
    # Order values varying no more between customers than within: q and v at their bounds.
    assert usable_spend_fit(fit(6155.8, converged=False))
    assert not usable_spend_fit(fit(float("nan"), converged=False))
