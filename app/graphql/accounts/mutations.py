from __future__ import annotations

import strawberry

from app.auth import service
from app.auth.errors import AccountErrorCode
from app.auth.login import login
from app.auth.principal import PrincipalKind
from app.auth.throttle import bound_throttle
from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.accounts.inputs import StaffCreateInput
from app.graphql.accounts.types import ApiKeyType, LoginOrganization, StaffType
from app.graphql.context import Info
from app.graphql.enums import ApiKeyScope, Role
from app.graphql.errors import AccountError
from app.graphql.payloads import Payload


@strawberry.type
class LoginPayload(Payload):
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`."
    )
    expires_in: int | None = None
    staff: StaffType | None = None
    organizations: list[LoginOrganization] = strawberry.field(
        default_factory=list,
        description="With ORGANIZATION_REQUIRED: the organizations these credentials open; "
        "sign in again naming one.",
    )
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload(Payload):
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class StaffPayload(Payload):
    staff: StaffType | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyCreatePayload(Payload):
    key: str | None = strawberry.field(default=None, description="Shown once: only a hash is kept.")
    api_key: ApiKeyType | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload(Payload):
    api_key: ApiKeyType | None = None
    errors: list[AccountError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Staff sign-in with email and password. An email that is staff of several "
        "organizations names one with `organizationId`. Repeated failures are slowed, then "
        "refused for a while (TOO_MANY_ATTEMPTS)."
    )
    async def login(
        self,
        info: Info,
        email: str,
        password: str,
        organization_id: strawberry.ID | None = None,
    ) -> LoginPayload:
        context = info.context
        client = context.request.client
        try:
            result = await login(
                email,
                password,
                context.settings.token_ttl_seconds,
                organization_id=parse_id(organization_id, "organizationId")
                if organization_id
                else None,
                throttle=bound_throttle(context.settings.secret_key),
                address=client.host if client else None,
            )
        except DomainError as exc:
            return LoginPayload.failed(exc)
        if result.issued is None:
            choices = [
                LoginOrganization(id=strawberry.ID(str(o.id)), name=o.name)
                for o in result.organizations
            ]
            error = DomainError(
                AccountErrorCode.ORGANIZATION_REQUIRED,
                "This email signs in to several organizations: name one.",
                "organizationId",
            )
            failed = LoginPayload.failed(error)
            failed.organizations = choices
            return failed
        return LoginPayload(
            token=result.issued.token,
            expires_in=result.issued.expires_in,
            staff=StaffType.from_model(result.issued.staff),
        )

    @strawberry.mutation(description="Ends the session of the bearer token sent.")
    async def logout(self, info: Info) -> LogoutPayload:
        principal = info.context.principal
        if principal.kind is not PrincipalKind.STAFF or not info.context.bearer:
            # An API key is not a session: saying "signed out" while it keeps working would lie.
            return LogoutPayload.failed(
                DomainError(
                    AccountErrorCode.INVALID, "API keys do not sign out: revoke the key instead."
                )
            )
        await service.logout(info.context.bearer)
        return LogoutPayload()

    @strawberry.mutation
    async def staff_create(self, info: Info, input: StaffCreateInput) -> StaffPayload:
        principal = info.context.principal
        try:
            staff = await service.create_staff(
                principal, input.email, input.name, input.role, input.password
            )
        except DomainError as exc:
            return StaffPayload.failed(exc)
        return StaffPayload(staff=StaffType.from_model(staff))

    @strawberry.mutation
    async def staff_role_update(self, info: Info, id: strawberry.ID, role: Role) -> StaffPayload:
        principal = info.context.principal
        try:
            staff = await service.change_role(principal, parse_id(id), role)
        except DomainError as exc:
            return StaffPayload.failed(exc)
        return StaffPayload(staff=StaffType.from_model(staff))

    @strawberry.mutation(description="Deactivates a staff member and ends their sessions.")
    async def staff_deactivate(self, info: Info, id: strawberry.ID) -> StaffPayload:
        principal = info.context.principal
        try:
            staff = await service.deactivate_staff(principal, parse_id(id))
        except DomainError as exc:
            return StaffPayload.failed(exc)
        return StaffPayload(staff=StaffType.from_model(staff))

    @strawberry.mutation
    async def api_key_create(
        self, info: Info, name: str, scopes: list[ApiKeyScope]
    ) -> ApiKeyCreatePayload:
        principal = info.context.principal
        try:
            issued = await service.create_api_key(principal, name, list(dict.fromkeys(scopes)))
        except DomainError as exc:
            return ApiKeyCreatePayload.failed(exc)
        return ApiKeyCreatePayload(key=issued.key, api_key=ApiKeyType.from_model(issued.api_key))

    @strawberry.mutation
    async def api_key_revoke(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        principal = info.context.principal
        try:
            key = await service.revoke_api_key(principal, parse_id(id))
        except DomainError as exc:
            return ApiKeyPayload.failed(exc)
        return ApiKeyPayload(api_key=ApiKeyType.from_model(key))
