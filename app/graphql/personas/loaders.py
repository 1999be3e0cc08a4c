"""Batch loads for persona fields: one query per request per kind, however many customers.

The fields that use them check PERSONA_READ; the loaders are scoped to the organization."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from app.graphql.dataloader import SharedDataLoader
from app.models.persona import Persona, RoadmapItem
from app.personas import repository


def customer_persona_loader(organization_id: uuid.UUID) -> DataLoader[uuid.UUID, Persona | None]:
    """Customer id -> its persona in the current set."""

    async def load(keys: list[uuid.UUID]) -> list[Persona | None]:
        found = await repository.personas_of_customers(organization_id, keys)
        return [found.get(k) for k in keys]

    return SharedDataLoader(load_fn=load)


def roadmap_loader(organization_id: uuid.UUID) -> DataLoader[uuid.UUID, list[RoadmapItem]]:
    """Persona (identity) id -> its roadmap items, in order."""

    async def load(keys: list[uuid.UUID]) -> list[list[RoadmapItem]]:
        found = await repository.roadmaps(organization_id, keys)
        return [found.get(k, []) for k in keys]

    return SharedDataLoader(load_fn=load)
