"""Prediction probes for tests/graphql/test_tenancy.py: organization B against A's model."""

from __future__ import annotations

from typing import Any, Protocol

from app.auth.principal import Principal
from app.predictions.service import refit_predictions
from tests.conftest import GraphQLClient, Tenant

MODEL = "{ predictionModel { status reasonCode customers fittedAt } }"
REFIT = "mutation { predictionModelRefit { requested errors { code } } }"


class IntruderLike(Protocol):
    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...


async def plant_prediction_model(gql: GraphQLClient, tenant: Tenant) -> dict[str, Any]:
    """A's model row (A's few customers make it an ineligible one, which is still A's)."""
    await refit_predictions(Principal.system(tenant.organization_id))
    model: dict[str, Any] = (await gql.data(MODEL, token=tenant.token))["predictionModel"]
    assert model is not None
    assert model["status"] == "INELIGIBLE", model
    return model


async def probe_predictions(
    b: IntruderLike, gql: GraphQLClient, a_token: str, a_model: dict[str, Any]
) -> None:
    """B sees no model (it has none), and B's refit asks for B's own: A's stays as it was."""
    assert (await b.data(MODEL))["predictionModel"] is None
    refit = await b.data(REFIT)
    assert refit["predictionModelRefit"] == {"requested": True, "errors": []}
    assert (await gql.data(MODEL, token=a_token))["predictionModel"] == a_model
