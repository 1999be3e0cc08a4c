"""What is known about the request being served, for logs and metrics: its id, the
organization of its credential and its GraphQL operation name. Never request contents.

The HTTP middleware opens one `RequestInfo` per request in a context variable; the GraphQL
layers fill in the organization and operation as they learn them, and the log formatter and
the metrics read it back.
"""

from __future__ import annotations

import os
import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass

# A client may pass its own request id (to follow one call through a proxy and our logs); we
# keep it only when it is short and made of harmless characters, so it can never smuggle
# anything into a log line.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class RequestInfo:
    request_id: str
    organization_id: str | None = None
    operation: str | None = None
    # Codes of the top-level GraphQL errors of the response (bounded, see app.metrics).
    error_codes: list[str] | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("loyalty_request", default=None)


def request_id_from(header: str | None) -> str:
    if header is not None and _CLIENT_REQUEST_ID.fullmatch(header):
        return header
    # Random like a uuid4, without building a UUID object on every request.
    return os.urandom(16).hex()


def current_request() -> RequestInfo | None:
    return _current.get()


def begin_request(info: RequestInfo) -> Token[RequestInfo | None]:
    """Make `info` the current request; returns the token `end_request` takes."""
    return _current.set(info)


def end_request(token: Token[RequestInfo | None]) -> None:
    _current.reset(token)


def note_organization(organization_id: uuid.UUID | None) -> None:
    info = _current.get()
    if info is not None and organization_id is not None:
        info.organization_id = str(organization_id)


def note_operation(name: str, error_codes: list[str]) -> None:
    info = _current.get()
    if info is not None:
        info.operation = name
        info.error_codes = error_codes
