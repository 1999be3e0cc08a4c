from __future__ import annotations

import strawberry

from app.core.errors import DomainError
from app.graphql.context import Info
from app.graphql.enums import SignupChannel
from app.graphql.errors import OrganizationError
from app.graphql.organizations.inputs import OrganizationUpdateInput
from app.graphql.organizations.types import OrganizationType, SignupFormType, StoreType
from app.graphql.payloads import Payload
from app.organizations import service


@strawberry.type
class OrganizationPayload(Payload):
    organization: OrganizationType | None = None
    errors: list[OrganizationError] = strawberry.field(default_factory=list)


@strawberry.type
class StorePayload(Payload):
    store: StoreType | None = None
    errors: list[OrganizationError] = strawberry.field(default_factory=list)


@strawberry.type
class SignupFormPayload(Payload):
    signup_form: SignupFormType | None = None
    errors: list[OrganizationError] = strawberry.field(default_factory=list)


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation
    async def organization_update(
        self, info: Info, input: OrganizationUpdateInput
    ) -> OrganizationPayload:
        principal = info.context.principal
        try:
            org = await service.update_organization(
                principal,
                name=input.name,
                default_region=input.default_region,
                timezone=input.timezone,
            )
        except DomainError as exc:
            return OrganizationPayload.failed(exc)
        return OrganizationPayload(organization=OrganizationType.from_model(org))

    @strawberry.mutation
    async def store_create(
        self, info: Info, name: str, code: str, online: bool = False
    ) -> StorePayload:
        principal = info.context.principal
        try:
            store = await service.create_store(principal, name, code, online)
        except DomainError as exc:
            return StorePayload.failed(exc)
        return StorePayload(store=StoreType.from_model(store))

    @strawberry.mutation
    async def signup_form_create(
        self, info: Info, name: str, channel: SignupChannel = SignupChannel.WEB
    ) -> SignupFormPayload:
        principal = info.context.principal
        try:
            form = await service.create_signup_form(principal, name, channel)
        except DomainError as exc:
            return SignupFormPayload.failed(exc)
        return SignupFormPayload(signup_form=SignupFormType.from_model(form))
