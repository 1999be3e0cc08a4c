"""The baseline of bench/admin_api.py: a bare Starlette endpoint running hand-written SQL.

For each admin query of the benchmark it runs the SQL that answers it, written by hand
(asyncpg, a pool of the size Tortoise gives the service), and returns a JSON document of the
same shape as the service's. The POST body names the operation: {"op": ..., "variables": ...}.
PostgreSQL only. Configured through the environment: RAW_DSN, RAW_ORG, RAW_TOKEN.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DSN = os.environ.get("RAW_DSN", "")
ORG = uuid.UUID(os.environ.get("RAW_ORG", str(uuid.UUID(int=0))))
AUTHORIZATION = f"Bearer {os.environ.get('RAW_TOKEN', '')}"
POOL_MIN, POOL_MAX = 1, 5  # what Tortoise gives the service on PostgreSQL

PAGE_COLUMNS = "id, first_name, last_name, email, total_spent"
FIRST_PAGE = (
    f"SELECT {PAGE_COLUMNS} FROM customer WHERE organization_id = $1 AND status = 'ACTIVE'"
    " ORDER BY total_spent DESC, id DESC LIMIT 21"
)
NEXT_PAGE = (
    f"SELECT {PAGE_COLUMNS} FROM customer WHERE organization_id = $1 AND status = 'ACTIVE'"
    " AND total_spent <= $2 AND (total_spent < $2 OR id < $3)"
    " ORDER BY total_spent DESC, id DESC LIMIT 21"
)
STAGES = ("MEMBER", "ONE_TIME_BUYER", "ACTIVE", "AT_RISK", "LOST")
SEGMENTS = (
    "CHAMPIONS",
    "LOYAL",
    "POTENTIAL_LOYALIST",
    "NEW",
    "PROMISING",
    "NEED_ATTENTION",
    "ABOUT_TO_SLEEP",
    "AT_RISK",
    "CANNOT_LOSE_THEM",
    "HIBERNATING",
    "LOST",
)
SMS = ("NOT_SUBSCRIBED", "PENDING", "SUBSCRIBED", "UNSUBSCRIBED")
TIERS = ((0, 1000), (1000, 5000), (5000, None))


def _counts_sql(with_stage_filter: bool) -> str:
    parts = [
        "count(*)",
        "count(*) FILTER (WHERE loyalty_enrolled)",
        "count(*) FILTER (WHERE order_count > 0)",
        "count(*) FILTER (WHERE email_opt_in)",
        "count(*) FILTER (WHERE rfm_segment IS NULL)",
    ]
    parts += [f"count(*) FILTER (WHERE lifecycle_stage = '{s}')" for s in STAGES]
    parts += [f"count(*) FILTER (WHERE rfm_segment = '{s}')" for s in SEGMENTS]
    parts += [f"count(*) FILTER (WHERE sms_state = '{s}')" for s in SMS]
    for low, high in TIERS:
        upper = f" AND lifetime_points < {high}" if high is not None else ""
        parts.append(f"count(*) FILTER (WHERE lifetime_points >= {low}{upper})")
    where = "organization_id = $1 AND status = 'ACTIVE'"
    if with_stage_filter:
        where += " AND lifecycle_stage = ANY($2::text[])"
    return f"SELECT {', '.join(parts)} FROM customer WHERE {where}"


STATS = _counts_sql(False)
STATS_BY_STAGE = _counts_sql(True)
CURRENT_SET = "SELECT id FROM persona_set WHERE organization_id = $1 AND is_current LIMIT 1"
OUTSTANDING = "SELECT coalesce(sum(points_balance), 0) FROM customer WHERE organization_id = $1"
EXPIRING = (
    "SELECT coalesce(sum(remaining) FILTER (WHERE expires_at <= $2), 0),"
    " coalesce(sum(remaining) FILTER (WHERE expires_at <= $3), 0),"
    " coalesce(sum(remaining) FILTER (WHERE expires_at <= $4), 0)"
    " FROM ledger_entry WHERE organization_id = $1 AND expires_at <= $4 AND remaining > 0"
)

_pool: asyncpg.Pool | None = None


async def one_row(sql: str, *args: Any) -> asyncpg.Record:
    """`fetch`, not `fetchrow`: asyncpg runs `fetchrow` and `fetchval` with a row limit, and
    PostgreSQL plans no parallel scan for a statement executed with one; the ORM's `fetch`
    gets parallel workers, so the baseline must too."""
    assert _pool is not None
    rows = await _pool.fetch(sql, *args)
    return rows[0]


def _cursor(row: asyncpg.Record) -> str:
    return base64.urlsafe_b64encode(f"{row['total_spent']}|{row['id']}".encode()).decode()


async def page(variables: dict[str, Any]) -> dict[str, Any]:
    assert _pool is not None
    after = variables.get("after")
    if after:
        total, last_id = base64.urlsafe_b64decode(after).decode().split("|")
        rows = await _pool.fetch(NEXT_PAGE, ORG, Decimal(total), uuid.UUID(last_id))
    else:
        rows = await _pool.fetch(FIRST_PAGE, ORG)
    edges = [
        {
            "cursor": _cursor(r),
            "node": {
                "id": str(r["id"]),
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "email": r["email"],
                "totalSpent": str(r["total_spent"]),
            },
        }
        for r in rows[:20]
    ]
    info = {"hasNextPage": len(rows) > 20, "endCursor": edges[-1]["cursor"] if edges else None}
    return {"customers": {"edges": edges, "pageInfo": info}}


async def stats(variables: dict[str, Any]) -> dict[str, Any]:
    assert _pool is not None
    stages = variables.get("stages")
    if stages:
        row = await one_row(STATS_BY_STAGE, ORG, stages)
    else:
        row = await one_row(STATS, ORG)
    await _pool.fetch(CURRENT_SET, ORG)
    values = list(row)
    n = len(STAGES) + 1 + len(SEGMENTS)
    return {
        "customerStats": {
            "customers": values[0],
            "enrolled": values[1],
            "withOrder": values[2],
            "emailOptedIn": values[3],
            "byLifecycleStage": [
                {"stage": s, "count": c} for s, c in zip(STAGES, values[5:10], strict=True)
            ],
            "byRfmSegment": [
                {"segment": s, "count": c}
                for s, c in zip([None, *SEGMENTS], [values[4], *values[10 : 4 + n]], strict=True)
            ],
            "bySmsState": [
                {"state": s, "count": c} for s, c in zip(SMS, values[4 + n : 8 + n], strict=True)
            ],
            "byTier": [{"count": c} for c in values[8 + n :]],
            "byPersona": [],
        }
    }


async def liability(variables: dict[str, Any]) -> dict[str, Any]:
    assert _pool is not None
    now = dt.datetime.now(dt.UTC)
    outstanding = (await one_row(OUTSTANDING, ORG))[0]
    horizons = [now + dt.timedelta(days=d) for d in (30, 60, 90)]
    expiring = await one_row(EXPIRING, ORG, *horizons)
    value = Decimal("0.01")
    return {
        "pointsLiability": {
            "outstandingPoints": int(outstanding),
            "value": str((value * outstanding).quantize(Decimal("0.01"))),
            "expiring": [
                {"withinDays": d, "points": int(p)}
                for d, p in zip((30, 60, 90), expiring, strict=True)
            ],
        }
    }


OPERATIONS = {"page": page, "stats": stats, "liability": liability}


async def graphql(request: Request) -> Response:
    if request.headers.get("authorization") != AUTHORIZATION:
        return JSONResponse({"errors": [{"message": "unauthorized"}]}, status_code=401)
    body: dict[str, Any] = json.loads(await request.body())
    data = await OPERATIONS[body["op"]](body.get("variables") or {})
    return JSONResponse({"data": data})


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
    routes=[Route("/graphql", graphql, methods=["POST"]), Route("/health", health)],
    lifespan=lifespan,
)
