from __future__ import annotations

import strawberry

from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.duplicates.types import (
    DuplicateSuggestionType,
    PlaceholderIdentifierType,
    PlaceholderSettingsType,
)
from app.graphql.pagination import Connection, build_connection
from app.merges import suggestion_service as service


@strawberry.type
class DuplicateQueries:
    @strawberry.field(
        description="Customers that look like one person, strongest first, as of the last "
        "recompute (nightly, or `duplicateSuggestionsRefresh`)."
    )
    async def duplicate_suggestions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        min_score: float = 0.0,
    ) -> Connection[DuplicateSuggestionType]:
        page = await service.list_suggestions(
            info.context.principal, PageRequest.of(first, after), min_score
        )
        return build_connection(page, DuplicateSuggestionType.of)

    @strawberry.field(
        description="Placeholder values the last recompute found among active customers, "
        "most shared first (at most 500)."
    )
    async def placeholder_identifiers(
        self, info: Info, first: int = 100
    ) -> list[PlaceholderIdentifierType]:
        rows = await service.placeholder_identifiers(info.context.principal, first)
        return [PlaceholderIdentifierType.from_model(r) for r in rows]

    @strawberry.field(description="The placeholder list and the sharing threshold.")
    async def placeholder_settings(self, info: Info) -> PlaceholderSettingsType:
        return PlaceholderSettingsType.of(
            await service.placeholder_settings(info.context.principal)
        )
