from __future__ import annotations

from typing import Annotated

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.customers import service
from app.customers.service import TraitsMode
from app.graphql.context import Info
from app.graphql.customers.inputs import CustomerFieldsInput, to_service_input
from app.graphql.customers.types import CustomerType
from app.graphql.errors import CustomerError
from app.graphql.payloads import Payload


@strawberry.type
class CustomerPayload(Payload):
    customer: CustomerType | None = None
    errors: list[CustomerError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerFindOrCreatePayload(Payload):
    customer: CustomerType | None = None
    created: bool = False
    errors: list[CustomerError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation
    async def customer_create(
        self,
        info: Info,
        input: CustomerFieldsInput,
        referred_by: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The referring customer; earns the referral bonus."),
        ] = None,
    ) -> CustomerPayload:
        principal = info.context.principal
        data = to_service_input(input)
        if referred_by is not None:
            data.referred_by_id = parse_id(referred_by, "referredBy")
        try:
            customer = await service.create_customer(principal, data)
        except DomainError as exc:
            return CustomerPayload.failed(exc)
        return CustomerPayload(customer=CustomerType.from_model(customer))

    @strawberry.mutation
    async def customer_update(
        self,
        info: Info,
        id: strawberry.ID,
        input: CustomerFieldsInput,
        traits_mode: TraitsMode = TraitsMode.MERGE,
    ) -> CustomerPayload:
        principal = info.context.principal
        try:
            customer = await service.update_customer(
                principal, parse_id(id), to_service_input(input), traits_mode
            )
        except DomainError as exc:
            return CustomerPayload.failed(exc)
        return CustomerPayload(customer=CustomerType.from_model(customer))

    @strawberry.mutation(
        description="Find the customer with this external reference, or create it from input."
    )
    async def customer_find_or_create(
        self, info: Info, external_reference: str, input: CustomerFieldsInput | None = None
    ) -> CustomerFindOrCreatePayload:
        principal = info.context.principal
        data = to_service_input(input or CustomerFieldsInput())
        try:
            result = await service.find_or_create(principal, external_reference, data)
        except DomainError as exc:
            return CustomerFindOrCreatePayload.failed(exc)
        return CustomerFindOrCreatePayload(
            customer=CustomerType.from_model(result.customer), created=result.created
        )

    @strawberry.mutation
    async def customer_archive(self, info: Info, id: strawberry.ID, reason: str) -> CustomerPayload:
        principal = info.context.principal
        try:
            customer = await service.archive_customer(principal, parse_id(id), reason)
        except DomainError as exc:
            return CustomerPayload.failed(exc)
        return CustomerPayload(customer=CustomerType.from_model(customer))

    @strawberry.mutation
    async def customer_unarchive(self, info: Info, id: strawberry.ID) -> CustomerPayload:
        principal = info.context.principal
        try:
            customer = await service.unarchive_customer(principal, parse_id(id))
        except DomainError as exc:
            return CustomerPayload.failed(exc)
        return CustomerPayload(customer=CustomerType.from_model(customer))
