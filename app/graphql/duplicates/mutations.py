from __future__ import annotations

import strawberry

from app.core.errors import DomainError
from app.graphql.context import Info
from app.graphql.duplicates.inputs import DuplicateDismissInput, PlaceholderSettingsInput
from app.graphql.duplicates.types import PlaceholderSettingsType
from app.graphql.errors import DuplicateError
from app.graphql.payloads import Payload
from app.merges import suggestion_service as service


@strawberry.type
class DuplicateDismissPayload(Payload):
    customer_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The customers no longer suggested together."
    )
    errors: list[DuplicateError] = strawberry.field(default_factory=list)


@strawberry.type
class DuplicateSuggestionsRefreshPayload(Payload):
    requested: bool = strawberry.field(
        default=False,
        description="A recompute is on its way (requests within 30 seconds make one).",
    )
    errors: list[DuplicateError] = strawberry.field(default_factory=list)


@strawberry.type
class PlaceholderSettingsPayload(Payload):
    settings: PlaceholderSettingsType | None = None
    errors: list[DuplicateError] = strawberry.field(default_factory=list)


@strawberry.type
class DuplicateMutations:
    @strawberry.mutation(
        description="Never suggest these customers as duplicates of each other again."
    )
    async def duplicate_dismiss(
        self, info: Info, input: DuplicateDismissInput
    ) -> DuplicateDismissPayload:
        try:
            ids = await service.dismiss(info.context.principal, input.ids())
        except DomainError as exc:
            return DuplicateDismissPayload.failed(exc)
        return DuplicateDismissPayload(customer_ids=[strawberry.ID(str(i)) for i in ids])

    @strawberry.mutation(description="Recompute the duplicate suggestions in the background.")
    async def duplicate_suggestions_refresh(self, info: Info) -> DuplicateSuggestionsRefreshPayload:
        await service.request_refresh(info.context.principal)
        return DuplicateSuggestionsRefreshPayload(requested=True)

    @strawberry.mutation(
        description="Edit the placeholder list and the sharing threshold; suggestions are "
        "recomputed shortly after."
    )
    async def placeholder_settings_update(
        self, info: Info, input: PlaceholderSettingsInput
    ) -> PlaceholderSettingsPayload:
        try:
            view = await service.update_placeholder_settings(
                info.context.principal,
                input.entries(),
                input.shared_threshold,
                add=input.added(),
                remove=input.removed(),
            )
        except DomainError as exc:
            return PlaceholderSettingsPayload.failed(exc)
        return PlaceholderSettingsPayload(settings=PlaceholderSettingsType.of(view))
