from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.enums import ActorKind
from app.graphql.merges.inputs import field_key
from app.merges import service
from app.models.merge import CustomerMerge

if TYPE_CHECKING:
    from app.graphql.customers.types import CustomerType

Customer = Annotated["CustomerType", strawberry.lazy("app.graphql.customers.types")]


@strawberry.type(description="Where one field of a merge's result comes from.")
class FieldSource:
    field: str = strawberry.field(description="A field name, or `traits.<key>`.")
    customer_id: strawberry.ID

    @classmethod
    def listed(cls, sources: Mapping[str, object]) -> list[FieldSource]:
        return [
            cls(field=field_key(k), customer_id=strawberry.ID(str(v))) for k, v in sources.items()
        ]


@strawberry.type(name="CustomerMerge", description="One merge; an unmerge marks it undone.")
class CustomerMergeType:
    id: strawberry.ID
    survivor_id: strawberry.ID
    merged_ids: list[strawberry.ID] = strawberry.field(description="In the order given.")
    actor_kind: ActorKind
    actor_id: strawberry.ID | None
    created_at: dt.datetime
    field_choices: list[FieldSource]
    provenance: list[FieldSource]
    undone: bool
    undone_at: dt.datetime | None
    undone_by_kind: ActorKind | None
    undone_by_id: strawberry.ID | None
    model: strawberry.Private[CustomerMerge]

    @strawberry.field(description="The surviving customer as it is now.")
    async def survivor(self, info: Info) -> Customer | None:
        from app.graphql.customers.types import CustomerType

        found = await service.survivor_of(info.context.principal, self.model)
        return CustomerType.from_model(found) if found else None

    @strawberry.field(description="The merged customers as they are now (MERGED while it stands).")
    async def merged_customers(self, info: Info) -> list[Customer]:
        from app.graphql.customers.types import CustomerType

        rows = await service.merge_customers_of(info.context.principal, self.model)
        return [CustomerType.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, m: CustomerMerge) -> CustomerMergeType:
        def as_id(value: uuid.UUID | str | None) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value is not None else None

        return cls(
            id=strawberry.ID(str(m.id)),
            survivor_id=strawberry.ID(str(m.survivor_id)),
            merged_ids=[strawberry.ID(i) for i in m.merged_ids],
            actor_kind=m.actor_kind,
            actor_id=as_id(m.actor_id),
            created_at=m.created_at,
            field_choices=FieldSource.listed(m.field_choices),
            provenance=FieldSource.listed(m.provenance),
            undone=m.undone_at is not None,
            undone_at=m.undone_at,
            undone_by_kind=m.undone_by_kind,
            undone_by_id=as_id(m.undone_by_id),
            model=m,
        )
