"""Every request answered by this app sends the jobs its services ask for to the app's Redis.

`app.core.jobs` sends to the queue bound to the current task; this middleware binds the app's
Redis for the length of each HTTP request (GraphQL, the privacy page, uploads alike), so no
route can forget to and leave its jobs to a reconcile sweep minutes later.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import jobs


class BindJobQueue:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        resources = getattr(scope["app"].state, "resources", None)
        with jobs.queue_bound(getattr(resources, "redis", None)):
            await self.app(scope, receive, send)
