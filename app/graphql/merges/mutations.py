from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import MergeError
from app.graphql.merges.inputs import CustomerMergeInput
from app.graphql.merges.types import CustomerMergeType, FieldSource
from app.graphql.payloads import Payload
from app.merges import service

if TYPE_CHECKING:
    from app.graphql.customers.types import CustomerType

Customer = Annotated["CustomerType", strawberry.lazy("app.graphql.customers.types")]


@strawberry.type
class CustomerMergePayload(Payload):
    merge: CustomerMergeType | None = strawberry.field(
        default=None, description="Null for a dry run."
    )
    customer: Customer | None = strawberry.field(
        default=None, description="The survivor as the merge leaves it (or would)."
    )
    provenance: list[FieldSource] = strawberry.field(
        default_factory=list, description="For every field of the result, its source."
    )
    errors: list[MergeError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerUnmergePayload(Payload):
    merge: CustomerMergeType | None = None
    errors: list[MergeError] = strawberry.field(default_factory=list)


@strawberry.type
class MergeMutations:
    @strawberry.mutation(
        description="Fold up to 9 customers into a survivor in one step; dryRun previews it."
    )
    async def customer_merge(self, info: Info, input: CustomerMergeInput) -> CustomerMergePayload:
        from app.graphql.customers.types import CustomerType

        try:
            outcome = await service.merge_customers(info.context.principal, input.to_request())
        except DomainError as exc:
            return CustomerMergePayload.failed(exc)
        return CustomerMergePayload(
            merge=CustomerMergeType.from_model(outcome.merge) if outcome.merge else None,
            customer=CustomerType.from_model(outcome.customer),
            provenance=FieldSource.listed(outcome.provenance),
        )

    @strawberry.mutation(
        description="Undo a merge exactly; later activity stays with the survivor."
    )
    async def customer_unmerge(self, info: Info, merge_id: strawberry.ID) -> CustomerUnmergePayload:
        try:
            merge = await service.unmerge(info.context.principal, parse_id(merge_id, "mergeId"))
        except DomainError as exc:
            return CustomerUnmergePayload.failed(exc)
        return CustomerUnmergePayload(merge=CustomerMergeType.from_model(merge))
