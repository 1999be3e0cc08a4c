"""Duplicate suggestions, placeholder identifiers and placeholder settings, as clients see them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.merges.placeholder_settings import PlaceholderValue
from app.merges.reasons import reasons_text
from app.merges.scoring import Reason
from app.merges.suggestion_service import DuplicateSettingsView, SuggestionView
from app.models.duplicates import PlaceholderIdentifier, PlaceholderKind, PlaceholderSource

if TYPE_CHECKING:
    from app.graphql.customers.types import CustomerType

# The Customer type has `duplicateSuggestions`, whose type lists customers: a lazy reference.
LazyCustomer = Annotated["CustomerType", strawberry.lazy("app.graphql.customers.types")]


@strawberry.type(
    name="DuplicateSuggestion",
    description="Active customers that look like one person: a pair, or a group one merge takes.",
)
class DuplicateSuggestionType:
    id: strawberry.ID
    score: float = strawberry.field(
        description="Probability (0-1) that they are one person; a group's is its weakest pair."
    )
    reasons: list[Reason]
    reasons_text: str = strawberry.field(description="The reasons in words, for a person.")
    computed_at: dt.datetime
    view: strawberry.Private[SuggestionView]

    @strawberry.field(description="The customers, in id order.")
    def customers(self) -> list[LazyCustomer]:
        from app.graphql.customers.types import CustomerType

        return [CustomerType.from_model(c) for c in self.view.customers]

    @classmethod
    def of(cls, view: SuggestionView) -> DuplicateSuggestionType:
        return cls(
            id=strawberry.ID(str(view.id)),
            score=view.score,
            reasons=list(view.reasons),
            reasons_text=reasons_text(view.reasons),
            computed_at=view.computed_at,
            view=view,
        )


@strawberry.type(
    name="PlaceholderIdentifier",
    description="A value typed for people who gave none: never evidence that two customers "
    "are one person. Only the value and how many active customers hold it.",
)
class PlaceholderIdentifierType:
    kind: PlaceholderKind
    value: str = strawberry.field(
        description="Normalized; an email in its canonical form (+tags and gmail dots dropped)."
    )
    customer_count: int
    source: PlaceholderSource

    @classmethod
    def from_model(cls, row: PlaceholderIdentifier) -> PlaceholderIdentifierType:
        return cls(
            kind=row.kind, value=row.value, customer_count=row.customer_count, source=row.source
        )


@strawberry.type(name="PlaceholderValue")
class PlaceholderValueType:
    kind: PlaceholderKind
    value: str = strawberry.field(
        description="EMAIL: an address, or a local part followed by @ (any domain); PHONE: "
        "E.164, or digits a number ends with; EXTERNAL_REFERENCE: the exact reference."
    )

    @classmethod
    def of(cls, value: PlaceholderValue) -> PlaceholderValueType:
        return cls(kind=PlaceholderKind(value.kind.value), value=value.value)


@strawberry.type(name="PlaceholderSettings")
class PlaceholderSettingsType:
    values: list[PlaceholderValueType]
    shared_threshold: int = strawberry.field(
        description="A value held by more active customers than this is a placeholder."
    )
    computed_at: dt.datetime | None = strawberry.field(
        description="When duplicate suggestions were last recomputed; null: never."
    )

    @classmethod
    def of(cls, view: DuplicateSettingsView) -> PlaceholderSettingsType:
        return cls(
            values=[PlaceholderValueType.of(v) for v in view.settings.values],
            shared_threshold=view.settings.shared_threshold,
            computed_at=view.computed_at,
        )
