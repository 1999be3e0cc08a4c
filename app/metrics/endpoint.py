"""Serving the registry: the API's `/metrics` route and the separate metrics port.

Each process serves its own figures (see app.metrics). The exporter of a process owns what
depends on its resources (the queue depth collector on its Redis, the metrics port
listener) and gives them back when the process stops.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.config import Settings
from app.metrics.queue import QueueDepthCollector
from app.metrics.registry import REGISTRY

logger = logging.getLogger("app.metrics")

# One queue-depth series per process: `loyalty run` (and the tests) start an API and a worker
# in one process, and a registry refuses two collectors of the same metric.
_queue_owner: MetricsExporter | None = None


class MetricsExporter:
    def __init__(self, settings: Settings, redis_url: str | None) -> None:
        self.settings = settings
        self.queue = QueueDepthCollector(redis_url) if redis_url is not None else None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        """The metrics port actually bound (a configured 0 picks a free one)."""
        return None if self._server is None else self._server.server_port

    def start(self) -> None:
        global _queue_owner
        if self.queue is not None and _queue_owner is None:
            REGISTRY.register(self.queue)
            _queue_owner = self
        port = self.settings.metrics_port
        if port is not None:
            self._server, self._thread = start_http_server(
                port, addr=self.settings.metrics_host, registry=REGISTRY
            )
            logger.info(
                "metrics served on a separate port",
                extra={"host": self.settings.metrics_host, "port": port},
            )

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        global _queue_owner
        if self.queue is not None:
            if _queue_owner is self:
                REGISTRY.unregister(self.queue)
                _queue_owner = None
            self.queue.close()


def _allowed(request: Request, settings: Settings) -> bool | None:
    """True: serve; False: refuse (401); None: the route does not exist here (404)."""
    token = settings.metrics_token
    if token is None:
        return True if settings.is_development else None
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    allowed = _allowed(request, settings)
    if allowed is None:
        return PlainTextResponse("Not Found", status_code=404)
    if not allowed:
        return PlainTextResponse(
            "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    # Collectors read Redis with a blocking client: keep them off the event loop.
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
