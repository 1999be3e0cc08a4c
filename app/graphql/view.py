"""The GraphQL endpoint: POST only, credentials read from `Authorization: Bearer`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app.auth.credentials import authenticate
from app.config import Settings
from app.core.errors import PublicError
from app.graphql.context import Context
from app.graphql.schema import build_schema


def bearer_of(request: Request | WebSocket) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class LoyaltyGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.is_development else None,
            allow_queries_via_get=False,
            subscription_protocols=(),
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        assert isinstance(request, Request)
        context = Context(request=request, settings=self.settings)
        secret = bearer_of(request)
        if secret is not None:
            context.bearer = secret
            try:
                context.authenticated = await authenticate(
                    secret, self.settings.credential_cache_seconds
                )
            except PublicError as exc:
                context.auth_error = exc
        return context

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None
