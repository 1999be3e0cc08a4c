from __future__ import annotations

import re
import uuid

import strawberry

from app.core.errors import InvalidArgument
from app.core.ids import parse_id
from app.graphql.pagination import SortDirection
from app.merges.records import TRAIT_PREFIX
from app.merges.service import MergeRequest
from app.merges.sorting import MergeSortField

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def field_key(name: str) -> str:
    """A plan key as GraphQL spells it: `firstName`, `emailConsent`, `traits.<key as is>`."""
    if name.startswith(TRAIT_PREFIX):
        return name
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def plan_key(name: str) -> str:
    """A GraphQL field name back to the plan's key (`traits.` keys are kept as they are)."""
    if name.startswith(TRAIT_PREFIX):
        return name
    return _CAMEL.sub("_", name).lower()


@strawberry.input(description="Keep this field's value from this customer.")
class FieldChoiceInput:
    field: str = strawberry.field(
        description="A field (firstName, birthday, email, ...) or `traits.<key>`."
    )
    customer_id: strawberry.ID


@strawberry.input
class CustomerMergeInput:
    survivor_id: strawberry.ID
    merged_ids: list[strawberry.ID] = strawberry.field(
        description="Up to 9 customers folded into the survivor; blanks fill in this order."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Return the result and each field's source; write nothing."
    )
    field_choices: list[FieldChoiceInput] | None = None

    def to_request(self) -> MergeRequest:
        choices: dict[str, uuid.UUID] = {}
        for choice in self.field_choices or []:
            key = plan_key(choice.field.strip())
            if key in choices:
                raise InvalidArgument("A field is chosen twice in fieldChoices.")
            choices[key] = parse_id(choice.customer_id, "fieldChoices.customerId")
        return MergeRequest(
            survivor_id=parse_id(self.survivor_id, "survivorId"),
            merged_ids=[parse_id(m, "mergedIds") for m in self.merged_ids],
            dry_run=self.dry_run,
            field_choices=choices,
        )


strawberry.enum(
    MergeSortField,
    description="MERGED_AT: when the merge was made. UNDONE_AT: NULL while the merge stands "
    "(sorted last ascending, first descending).",
)


@strawberry.input(description="The order of merges; ties are broken by id.")
class MergeSortInput:
    field: MergeSortField
    direction: SortDirection = SortDirection.ASC
