"""The outermost middleware: opens the request context (request id, echoed in
`X-Request-ID`) and records HTTP and GraphQL request metrics once the response is sent."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics.registry import GRAPHQL_DURATION, GRAPHQL_REQUESTS, HTTP_DURATION, HTTP_REQUESTS
from app.request_context import RequestInfo, begin_request, end_request, request_id_from

logger = logging.getLogger("app.requests")

REQUEST_ID_HEADER = "x-request-id"
# Paths no route matched share one label: raw paths are unbounded (and could carry anything).
UNMATCHED = "unmatched"
GRAPHQL_ROUTE = "/graphql"
# The method is the client's to choose: others share one label.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _Children:
    """The labelled series of the request metrics, looked up once per label set: `labels()`
    validates and locks on every call, a cost the hottest requests should not pay."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, metric: Any, *labels: str) -> Any:
        key = (metric._name, *labels)
        child = self._cache.get(key)
        if child is None:
            child = self._cache[key] = metric.labels(*labels)
        return child


class ObserveRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.series = _Children()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                header = value.decode("latin-1")
                break
        info = RequestInfo(request_id=request_id_from(header))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, info.request_id)
            await send(message)

        token = begin_request(info)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            series = self.series
            route = scope.get("route")
            label = getattr(route, "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            series(HTTP_REQUESTS, label, method, str(status)).inc()
            series(HTTP_DURATION, label).observe(elapsed)
            if label == GRAPHQL_ROUTE and method == "POST":
                # A request refused before strawberry parsed it (bad JSON, too large) has
                # no operation: it is counted as invalid.
                operation = info.operation or "invalid"
                outcome = "error" if info.error_codes or status >= 400 else "ok"
                series(GRAPHQL_REQUESTS, operation, outcome).inc()
                series(GRAPHQL_DURATION, operation).observe(elapsed)
            logger.debug(
                "request served",
                extra={"route": label, "status": status, "duration_ms": round(elapsed * 1e3, 2)},
            )
            end_request(token)
