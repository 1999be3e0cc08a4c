"""The `duplicateSuggestions` field the duplicate work adds to the Customer type."""

from __future__ import annotations

import uuid

import strawberry

from app.graphql.context import Info
from app.graphql.duplicates.types import DuplicateSuggestionType
from app.merges import suggestion_service as service
from app.models.customer import Customer


@strawberry.type
class CustomerDuplicateFields:
    model: strawberry.Private[Customer]

    @strawberry.field(
        description="Suggestions this customer is in (as of the last recompute), strongest first."
    )
    async def duplicate_suggestions(self, info: Info) -> list[DuplicateSuggestionType]:
        views = await service.customer_suggestions(
            info.context.principal, uuid.UUID(str(self.model.id))
        )
        return [DuplicateSuggestionType.of(v) for v in views]
