"""Batch load of the organization's prediction model for `Customer.predictions` horizons
computed on the fly: one query per request however many customers."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from app.auth.principal import Principal
from app.graphql.dataloader import SharedDataLoader
from app.models.prediction import PredictionModel
from app.predictions import service


def prediction_model_loader(principal: Principal) -> DataLoader[uuid.UUID, PredictionModel | None]:
    """Organization id (the principal's: the only key asked for) -> its current model."""

    async def load(keys: list[uuid.UUID]) -> list[PredictionModel | None]:
        found = await service.model_for_customer_figures(principal)
        return [found if k == principal.organization_id else None for k in keys]

    return SharedDataLoader(load_fn=load)
