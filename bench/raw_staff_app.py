"""The baseline of bench/staff_query.py: a bare Starlette endpoint and one driver call.

It answers the POST body of the staff query (reading only `variables.id`) with the same
SELECT of the customer row the service's ORM runs, through asyncpg (a pool of the size
Tortoise gives the service) or aiosqlite (one connection, as Tortoise uses), and returns the
same JSON document. Configured by the benchmark through the environment: RAW_DSN
(`postgresql://...` or a SQLite file path), RAW_SQL (with `$n` placeholders), RAW_ORG, RAW_TOKEN.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DSN = os.environ.get("RAW_DSN", "")
SQL = os.environ.get("RAW_SQL", "")
ORG = os.environ.get("RAW_ORG", "")
AUTHORIZATION = f"Bearer {os.environ.get('RAW_TOKEN', '')}"
POOL_MIN, POOL_MAX = 1, 5  # what Tortoise gives the service on PostgreSQL

Fetch = Callable[[str], Awaitable[dict[str, Any] | None]]
_fetch: Fetch | None = None


async def customer(request: Request) -> Response:
    if request.headers.get("authorization") != AUTHORIZATION:
        return JSONResponse({"errors": [{"message": "unauthorized"}]}, status_code=401)
    body: dict[str, Any] = json.loads(await request.body())
    assert _fetch is not None
    row = await _fetch(str(body["variables"]["id"]))
    if row is None:
        return JSONResponse({"data": {"customer": None}})
    answer = {
        "id": str(row["id"]),
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email": row["email"],
    }
    return JSONResponse({"data": {"customer": answer}})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global _fetch
    if DSN.startswith("postgresql://"):
        import uuid

        import asyncpg

        pool = await asyncpg.create_pool(DSN, min_size=POOL_MIN, max_size=POOL_MAX)

        async def fetch_pg(customer_id: str) -> dict[str, Any] | None:
            rows = await pool.fetch(
                SQL, uuid.UUID(ORG), uuid.UUID(customer_id), "ACTIVE", "ARCHIVED"
            )
            return dict(rows[0]) if len(rows) == 1 else None

        _fetch = fetch_pg
        try:
            yield
        finally:
            await pool.close()
        return

    import aiosqlite

    connection = await aiosqlite.connect(DSN)
    connection.row_factory = aiosqlite.Row
    sqlite_sql = re.sub(r"\$\d+", "?", SQL)

    async def fetch_lite(customer_id: str) -> dict[str, Any] | None:
        async with connection.execute(sqlite_sql, (ORG, customer_id, "ACTIVE", "ARCHIVED")) as cur:
            rows = list(await cur.fetchall())
        return dict(rows[0]) if len(rows) == 1 else None

    _fetch = fetch_lite
    try:
        yield
    finally:
        await connection.close()


app = Starlette(
    routes=[Route("/graphql", customer, methods=["POST"]), Route("/health", health)],
    lifespan=lifespan,
)
