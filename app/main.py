"""The ASGI application: GraphQL, health and readiness, metrics, GraphiQL's assets (development),
and the lifespan that owns resources."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis, create_pool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import connections

from app.body_limit import BodyLimit
from app.config import Settings
from app.consent.routes import INBOUND_PATH, twilio_inbound
from app.core import blocklist
from app.db import close_db, init_db
from app.embedded_redis import EmbeddedRedis
from app.graphiql import ASSETS_ROUTE
from app.graphiql import asset as graphiql_asset
from app.graphql.view import LoyaltyGraphQL
from app.imports.routes import error_report as import_error_report
from app.job_queue_binding import BindJobQueue
from app.messaging.providers import STATUS_CALLBACK_PATH
from app.messaging.routes import twilio_status_callback
from app.metrics.endpoint import MetricsExporter
from app.metrics.endpoint import metrics as metrics_endpoint
from app.metrics.http import ObserveRequests
from app.privacy_requests.routes import download_export
from app.selfserve.routes import ROUTES as SELFSERVE_ROUTES
from workers.settings import build_worker, redis_settings

logger = logging.getLogger("app")


@dataclass
class Resources:
    """What the lifespan opened, so handlers and shutdown can reach it."""

    redis: ArqRedis | None = None
    embedded_redis: EmbeddedRedis | None = None
    worker_task: asyncio.Task[None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def health(request: Request) -> JSONResponse:
    """Liveness: the process answers. Never touches a dependency."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """Readiness: the database and Redis both answer."""
    resources: Resources = request.app.state.resources
    checks: dict[str, str] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        if resources.redis is None:
            raise ConnectionError("no redis")
        await resources.redis.ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503)


def create_app(
    settings: Settings,
    *,
    manage_resources: bool = True,
    run_worker: bool = False,
    redis: ArqRedis | None = None,
) -> Starlette:
    """Build the app.

    manage_resources: the lifespan opens the database and Redis (starting the embedded
    redis-server when REDIS_URL is unset); tests that own those pass False and a `redis`.
    run_worker: also run an arq worker in this process (`loyalty run`, development).
    """
    resources = Resources(redis=redis)
    blocklist.install_keys(settings.blocklist_keys)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = None
        redis_url = settings.redis_url
        if manage_resources:
            if redis_url is None:
                resources.embedded_redis = EmbeddedRedis(settings.data_dir / "redis")
                redis_url = await asyncio.to_thread(resources.embedded_redis.start)
            await init_db(settings.database_url)
            resources.redis = await create_pool(redis_settings(redis_url))
            if run_worker:
                worker = build_worker(settings, redis_url, manage_db=False)
                resources.worker_task = asyncio.create_task(worker.async_run())
        exporter = MetricsExporter(settings, redis_url)
        exporter.start()
        # Everything built so far (schema, models, settings) lives as long as the process:
        # moving it out of the collector's generations keeps full collections, and the
        # latency spikes they cause under load, short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            exporter.stop()
            if worker is not None:
                await worker.close()
                if resources.worker_task is not None:
                    resources.worker_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await resources.worker_task
            if manage_resources:
                if resources.redis is not None:
                    await resources.redis.aclose()
                await close_db()
                if resources.embedded_redis is not None:
                    resources.embedded_redis.stop()

    # Outermost: every request gets its id and is measured, whatever answers it.
    middleware = [Middleware(ObserveRequests), Middleware(BindJobQueue)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["POST", "OPTIONS"],
                allow_headers=["authorization", "content-type"],
            )
        )
    graphql = LoyaltyGraphQL(settings)
    app = Starlette(
        routes=[
            Route(
                "/graphql",
                BodyLimit(graphql, settings.max_upload_bytes, settings.max_body_bytes),
                methods=["GET", "POST"],
            ),
            # Live progress subscriptions (graphql-transport-ws) on the same path.
            WebSocketRoute("/graphql", graphql),
            Route("/imports/{job_id}/errors.csv", import_error_report, methods=["GET"]),
            Route("/privacy/exports/{token}", download_export, methods=["GET"]),
            *SELFSERVE_ROUTES,
            Route(STATUS_CALLBACK_PATH, twilio_status_callback, methods=["POST"]),
            Route(INBOUND_PATH, twilio_inbound, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *(
                [Route(ASSETS_ROUTE, graphiql_asset, methods=["GET"])]
                if settings.is_development
                else []
            ),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.resources = resources
    app.state.settings = settings
    app.state.graphql = graphql
    return app
