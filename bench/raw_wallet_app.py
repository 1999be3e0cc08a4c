"""The baseline of bench/wallet_lookup.py: Starlette + asyncpg, nothing else.

It answers the same POST body as the GraphQL endpoint (reading only `variables.phone`) with
the same SELECT the service runs, and returns the same JSON document for the query measured:
the wallet query, or the customer query (`customer(phone:) { id }`). Configured by the
benchmark through the environment: RAW_DSN, RAW_SQL, RAW_ORG, RAW_TOKEN, RAW_TIERS
(JSON [[name, min lifetime points], ...]), RAW_QUERY (`wallet` or `customer`).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DSN = os.environ.get("RAW_DSN", "postgresql://postgres@127.0.0.1:5432/loyalty_bench")
SQL = os.environ.get("RAW_SQL", "")
ORG = uuid.UUID(os.environ.get("RAW_ORG", str(uuid.UUID(int=0))))
AUTHORIZATION = f"Bearer {os.environ.get('RAW_TOKEN', '')}"
TIERS: list[tuple[str, int]] = sorted(
    ((str(n), int(p)) for n, p in json.loads(os.environ.get("RAW_TIERS", "[]"))),
    key=lambda t: t[1],
)
QUERY = os.environ.get("RAW_QUERY", "wallet")
# The pool size Tortoise gives the service (minsize 1, maxsize 5).
POOL_MIN, POOL_MAX = 1, 5

_pool: asyncpg.Pool | None = None


def tier_for(lifetime: int) -> dict[str, str] | None:
    current = None
    for name, minimum in TIERS:
        if lifetime >= minimum:
            current = name
    return {"name": current} if current is not None else None


async def wallet(request: Request) -> Response:
    if request.headers.get("authorization") != AUTHORIZATION:
        return JSONResponse({"errors": [{"message": "unauthorized"}]}, status_code=401)
    body: dict[str, Any] = json.loads(await request.body())
    phone = body["variables"]["phone"]
    assert _pool is not None
    rows = await _pool.fetch(SQL, ORG, "ACTIVE", "ARCHIVED", phone, 2)
    if len(rows) != 1:
        return JSONResponse({"data": {QUERY: None}})
    row = rows[0]
    if QUERY == "customer":
        return JSONResponse({"data": {"customer": {"id": str(row["id"])}}})
    return JSONResponse(
        {
            "data": {
                "wallet": {
                    "customerId": str(row["id"]),
                    "balance": row["points_balance"],
                    "lifetimePoints": row["lifetime_points"],
                    "tier": tier_for(row["lifetime_points"]),
                }
            }
        }
    )


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(DSN, min_size=POOL_MIN, max_size=POOL_MAX)
    try:
        yield
    finally:
        await _pool.close()


app = Starlette(
    routes=[Route("/graphql", wallet, methods=["POST"]), Route("/health", health)],
    lifespan=lifespan,
)
