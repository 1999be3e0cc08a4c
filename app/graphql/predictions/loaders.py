"""Batch load of the organization's prediction model for `Customer.predictions` horizons
computed on the fly: one query per request however many customers."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from app.graphql.dataloader import SharedDataLoader
from app.models.prediction import PredictionModel
from app.predictions import service


def prediction_model_loader() -> DataLoader[uuid.UUID, PredictionModel | None]:
    """Organization id -> its current prediction model."""

    async def load(keys: list[uuid.UUID]) -> list[PredictionModel | None]:
        found = await service.models_of(keys)
        return [found.get(k) for k in keys]

    return SharedDataLoader(load_fn=load)
