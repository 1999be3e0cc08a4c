"""A cap on request bodies, applied before anything parses them.

File uploads (multipart bodies) are refused past the configured size with HTTP 413: at once when
`Content-Length` says so, otherwise as soon as the streamed body crosses the limit, so a client
cannot fill the disk or memory by lying about, or omitting, the length.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room for the multipart envelope and the GraphQL operation around the file itself.
ENVELOPE_BYTES = 1024 * 1024


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.limit = max_upload_bytes + ENVELOPE_BYTES
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._is_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = self._content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send)

    @staticmethod
    def _is_upload(scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                kind: bytes = value.split(b";", 1)[0].strip().lower()
                return kind == b"multipart/form-data"
        return False

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    async def _refuse(self, send: Send) -> None:
        mib = self.max_upload_bytes // (1024 * 1024)
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"The upload is larger than the limit of {mib} MiB.",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
