"""GraphQL over WebSocket (graphql-transport-ws): live progress subscriptions.

- The credential travels in the `connection_init` payload, `{"authorization": "Bearer <secret>"}`
  (browsers cannot set headers on a WebSocket), and is checked like an HTTP request's; a missing
  or refused one closes the socket with 4403 before any operation runs.
- Every `subscription_recheck_seconds` an open connection checks its credential against the
  database again (not the cache): a revoked API key, a signed-out or expired session closes the
  socket with 4403 within that many seconds, and with it every subscription it carried.
- A message larger than the HTTP body limit closes the socket with 1009 (Message Too Big);
  the query document limits of HTTP apply to subscriptions unchanged (the same schema guards).
- How many subscriptions a credential holder may have open at once is counted in Redis across
  every API process (`app.core.live.slots`), not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator

from cross_web import HTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from app.auth.credentials import authenticate, bearer_value, reverify
from app.body_limit import describe_size
from app.core.errors import PublicError
from app.graphql.context import Context

logger = logging.getLogger("app.graphql")

# graphql-transport-ws's code for a refused connection, also used when a credential lapses.
FORBIDDEN = 4403
MESSAGE_TOO_BIG = 1009


def credential_in(params: dict[str, object] | None) -> str | None:
    """The secret of `{"authorization": "Bearer <secret>"}` (any case of the key)."""
    for key, value in (params or {}).items():
        if key.lower() == "authorization":
            return bearer_value(value)
    return None


async def accept_connection(context: Context) -> None:
    """`connection_init`: authenticate from its payload (or the handshake's header), or refuse."""
    secret = credential_in(context.connection_params) or context.bearer
    if secret is None:
        raise ConnectionRejectionError()
    try:
        context.authenticated = await authenticate(
            secret, context.settings.credential_cache_seconds
        )
    except PublicError:
        raise ConnectionRejectionError() from None
    context.bearer = secret
    context.auth_error = None


class SizedWebSocket(ASGIWebSocketAdapter):
    """Text frames only, each at most the HTTP body limit."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        settings = self.view.settings  # type: ignore[attr-defined]
        limit: int = settings.max_body_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                # A character is at most 4 bytes: most messages need no encoding to be measured.
                if len(text) * 4 > limit and len(text.encode()) > limit:
                    await self.close(
                        MESSAGE_TOO_BIG,
                        f"A message is larger than the limit of {describe_size(limit)}.",
                    )
                    return
                try:
                    message = self.view.decode_json(text)
                except (ValueError, HTTPException) as exc:
                    if ignore_parsing_errors:
                        continue
                    raise NonJsonMessageReceived from exc
                if not isinstance(message, dict):
                    raise NonJsonMessageReceived
                yield message
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass


class LiveConnection(BaseGraphQLTransportWSHandler[Context, None]):
    """The protocol handler, plus the periodic credential check."""

    async def handle(self) -> None:
        watcher = asyncio.create_task(self._recheck_credential())
        try:
            await super().handle()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def handle_message(self, message: Message) -> None:
        # strawberry reads these fields without checking their types: a payload that is not an
        # object, or an id that is not a string, would crash the connection's task.
        if message.get("type") == "subscribe":
            payload = message.get("payload")
            if (
                not isinstance(message.get("id"), str)
                or not isinstance(payload, dict)
                or not isinstance(payload.get("query"), str)
                or not isinstance(payload.get("variables") or {}, dict)
            ):
                await self.handle_invalid_message("Invalid subscribe message")
                return
        await super().handle_message(message)

    async def _recheck_credential(self) -> None:
        settings = self.context.settings
        while True:
            await asyncio.sleep(settings.subscription_recheck_seconds)
            secret = self.context.bearer
            if not self.connection_acknowledged or secret is None:
                continue
            try:
                self.context.authenticated = await reverify(
                    secret, settings.credential_cache_seconds
                )
            except PublicError:
                await self._close_for_lapsed_credential()
                return
            except Exception as exc:
                # The database did not answer: keep the connection, check again next time.
                logger.warning("live credential re-check failed: %s", type(exc).__name__)

    async def _close_for_lapsed_credential(self) -> None:
        # Stop the subscriptions first, so none of them writes to a closed socket.
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):
            await self.websocket.close(FORBIDDEN, "The credential was revoked or has expired.")
