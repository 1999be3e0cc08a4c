from __future__ import annotations

import uuid

import strawberry

from app.core.ids import parse_id
from app.merges.records import IdentifierKind
from app.models.duplicates import PlaceholderKind


@strawberry.input
class DuplicateDismissInput:
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="Two to ten customers never to suggest together again (every pair of them)."
    )

    def ids(self) -> list[uuid.UUID]:
        return [parse_id(i, f"customerIds.{n}") for n, i in enumerate(self.customer_ids)]


@strawberry.input
class PlaceholderValueInput:
    kind: PlaceholderKind
    value: str


@strawberry.input
class PlaceholderSettingsInput:
    values: list[PlaceholderValueInput] | None = strawberry.field(
        default=None, description="The whole list, replacing the current one; omitted: kept."
    )
    add: list[PlaceholderValueInput] = strawberry.field(
        default_factory=list, description="Entries added to the list."
    )
    remove: list[PlaceholderValueInput] = strawberry.field(
        default_factory=list, description="Entries removed from the list."
    )
    shared_threshold: int | None = strawberry.field(
        default=None, description="2 to 10000; omitted: kept."
    )

    def entries(self) -> list[tuple[IdentifierKind, str]] | None:
        return None if self.values is None else _entries(self.values)

    def added(self) -> list[tuple[IdentifierKind, str]]:
        return _entries(self.add)

    def removed(self) -> list[tuple[IdentifierKind, str]]:
        return _entries(self.remove)


def _entries(values: list[PlaceholderValueInput]) -> list[tuple[IdentifierKind, str]]:
    return [(IdentifierKind(v.kind.value), v.value) for v in values]
