"""The GraphQL endpoint: POST only, credentials read from `Authorization: Bearer`; live progress
subscriptions over WebSocket on the same path (app/graphql/websocket.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from app.auth.credentials import authenticate, bearer_of
from app.config import Settings
from app.core.errors import PublicError
from app.graphiql import page as graphiql_page
from app.graphql.context import Context
from app.graphql.persisted import PersistedOperations
from app.graphql.schema import build_schema
from app.graphql.websocket import LiveConnection, SizedWebSocket, accept_connection


class LoyaltyGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveConnection
    websocket_adapter_class = SizedWebSocket

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.is_development else None,
            allow_queries_via_get=False,
            # Subscriptions only over graphql-transport-ws (the legacy graphql-ws protocol has
            # no client maintained any more).
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=dt.timedelta(seconds=10),
            # The limit that matters is per credential holder, across connections
            # (app.core.live.slots); one connection cannot carry more than that either.
            max_subscriptions_per_connection=settings.max_subscriptions_per_credential,
            # A browser page on another origin may open a socket only when CORS allows it.
            allowed_origins=settings.cors_origins,
            # `importStart` takes its file as a GraphQL multipart upload. Credentials travel in
            # the Authorization header, never in cookies, so a cross-site form cannot use them.
            # The body size is capped before parsing (app.body_limit).
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        # The POS wallet lookups are answered by compiled plans (app.graphql.persisted).
        self.persisted = (
            PersistedOperations.for_schema(self.schema) if settings.compiled_operations else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        persisted = self.persisted
        if persisted is None or scope["type"] != "http" or not persisted.wants(scope):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await persisted.respond(request, self)
            if response is None:
                response = await self.run(request)
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        await response(scope, receive, send)

    @property
    def graphql_ide_html(self) -> str:
        # Strawberry's page loads its scripts from a CDN; ours from this service (app.graphiql).
        return graphiql_page()

    def decode_json(self, data: str | bytes) -> object:
        # json.loads raises more than JSONDecodeError, the one strawberry turns into a 400:
        # bytes that are not UTF-8, and a RecursionError for arrays nested thousands deep.
        # Both are the client's mistake, not a 500.
        try:
            return super().decode_json(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8.") from None
        except RecursionError:
            raise HTTPException(400, "The request body nests JSON too deeply.") from None

    def parse_json(self, data: str | bytes) -> Any:
        # strawberry reads fields of whatever JSON arrives: a body that is a bare string, number
        # or null crashed it into a 500. Anything but an object (or a batch, which strawberry
        # refuses itself) is the client's mistake.
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        return data if self.persisted is None else self.persisted.with_persisted_text(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        context = Context(request=request, settings=self.settings)
        if isinstance(request, WebSocket):
            # Authenticated at `connection_init` (on_ws_connect), from its payload.
            context.bearer = bearer_of(request)
            return context
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

    async def on_ws_connect(self, context: Context) -> UnsetType:
        await accept_connection(context)
        unset: UnsetType = UNSET
        return unset

    async def get_root_value(self, request: Request | WebSocket) -> None:
        return None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        # Jobs the services ask for go to the app's Redis: bound per request by
        # app.job_queue_binding.
        try:
            return await super().run(request, context, root_value)
        finally:
            # Multipart uploads are spooled to temporary files by Starlette; close them.
            form = getattr(request, "_form", None)
            if form is not None:
                await form.close()
