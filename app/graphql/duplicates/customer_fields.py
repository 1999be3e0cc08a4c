"""The `duplicateSuggestions` field the duplicate work adds to the Customer type."""

from __future__ import annotations

import uuid

import strawberry

from app.auth.permissions import Operation
from app.graphql.context import Info
from app.graphql.duplicates.types import DuplicateSuggestionType
from app.models.customer import Customer


@strawberry.type
class CustomerDuplicateFields:
    model: strawberry.Private[Customer]

    @strawberry.field(
        description="Suggestions this customer is in (as of the last recompute), strongest first."
    )
    async def duplicate_suggestions(self, info: Info) -> list[DuplicateSuggestionType]:
        info.context.principal.require(Operation.CUSTOMER_MERGE)
        views = await info.context.loaders.duplicate_suggestions.load(uuid.UUID(str(self.model.id)))
        return [DuplicateSuggestionType.of(v) for v in views]
