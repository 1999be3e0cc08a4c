"""Batch load for `Customer.duplicateSuggestions`: two queries per request, however many
customers a list shows. The field checks the permission before loading; the service again."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from app.auth.principal import Principal
from app.graphql.dataloader import SharedDataLoader
from app.merges import suggestion_service as service
from app.merges.suggestion_service import SuggestionView


def customer_suggestions_loader(
    principal: Principal,
) -> DataLoader[uuid.UUID, list[SuggestionView]]:
    async def load(keys: list[uuid.UUID]) -> list[list[SuggestionView]]:
        found = await service.suggestions_of_customers(principal, keys)
        return [found.get(k, []) for k in keys]

    return SharedDataLoader(load_fn=load)
