"""A cap on request bodies, applied before anything parses them.

Every body is refused past its limit with HTTP 413: at once when `Content-Length` says so,
otherwise as soon as the streamed body crosses the limit, so a client cannot fill the disk or
memory by lying about, or omitting, the length. File uploads (multipart bodies) may be as
large as the upload limit; any other body (a JSON operation) as large as the body limit.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room for the multipart envelope and the GraphQL operation around the file itself.
ENVELOPE_BYTES = 1024 * 1024


class _TooLarge(Exception):
    pass


def describe_size(size: int) -> str:
    """`1 MiB`, `64 KiB`, `300 bytes`: how a limit is worded in an error message."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._is_upload(scope):
            limit = self.max_upload_bytes + ENVELOPE_BYTES
            refusal = (
                f"The upload is larger than the limit of {describe_size(self.max_upload_bytes)}."
            )
        else:
            limit = self.max_body_bytes
            refusal = f"The request body is larger than the limit of {describe_size(limit)}."
        declared = self._content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, refusal)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
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
            await self._refuse(send, refusal)

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

    @staticmethod
    async def _refuse(send: Send, message: str) -> None:
        body = json.dumps(
            {
                "data": None,
                "errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}],
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
