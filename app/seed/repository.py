"""The seed's reads and writes: the organization's stores and signup forms, what an earlier
seeding left, and the blocks themselves (binary COPY on PostgreSQL, batches on SQLite), one
transaction per block."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.transactions import atomic
from app.models.organization import Organization, SignupChannel, SignupForm, Store
from app.seed import catalog

MIN_STORES = 10
SQLITE_BATCH = 5_000
# Per table of a block: its name, its columns and its payload (COPY bytes or SQLite rows).
Payloads = list[tuple[str, list[str], Any]]


def connection() -> BaseDBAsyncClient:
    conn: BaseDBAsyncClient = connections.get("default")
    return conn


async def organization(organization_id: uuid.UUID) -> Organization:
    return await Organization.get(id=organization_id)


async def ensure_stores(organization_id: uuid.UUID) -> list[Store]:
    """The organization's stores (at least MIN_STORES, adding catalog ones), by code."""
    stores = await Store.filter(organization_id=organization_id).order_by("code")
    taken = {s.code for s in stores}
    missing = MIN_STORES - len(stores)
    for spec in catalog.STORES:
        if missing <= 0:
            break
        if spec.code in taken:
            continue
        await Store.create(
            organization_id=organization_id, code=spec.code, name=spec.name, online=spec.online
        )
        missing -= 1
    return await Store.filter(organization_id=organization_id).order_by("code")


async def ensure_signup_forms(organization_id: uuid.UUID) -> list[SignupForm]:
    forms = []
    for name, channel in catalog.SIGNUP_FORMS:
        form, _ = await SignupForm.get_or_create(
            organization_id=organization_id,
            name=name,
            defaults={"channel": SignupChannel(channel)},
        )
        forms.append(form)
    return forms


async def seeded_customers(organization_id: uuid.UUID, conn: BaseDBAsyncClient) -> int:
    """How many customers of the organization a seeding made (they carry a seedGroup)."""
    if conn.capabilities.dialect == "postgres":
        query = (
            "SELECT count(*) AS n FROM customer"
            " WHERE organization_id = $1 AND jsonb_exists(traits, 'seedGroup')"
        )
        rows = await conn.execute_query_dict(query, [organization_id])
    else:
        query = (
            "SELECT count(*) AS n FROM customer"
            " WHERE organization_id = ? AND json_extract(traits, '$.seedGroup') IS NOT NULL"
        )
        rows = await conn.execute_query_dict(query, [str(organization_id)])
    return int(rows[0]["n"])


async def write_postgres(conn: BaseDBAsyncClient, payloads: Payloads, trust: bool) -> None:
    """One block in one transaction; `trust` skips foreign-key triggers (see the writer)."""
    async with atomic(conn.connection_name) as tx, tx.acquire_connection() as raw:
        if trust:
            await raw.execute("SET LOCAL session_replication_role = replica")
        await raw.execute("SET LOCAL synchronous_commit = off")
        for table, columns, payload in payloads:
            await raw.copy_to_table(
                table, source=memoryview(payload), columns=columns, format="binary"
            )


async def write_sqlite(conn: BaseDBAsyncClient, payloads: Payloads) -> None:
    async with atomic(conn.connection_name) as tx:
        for table, columns, rows in payloads:
            if not rows:
                continue
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - our names
            for at in range(0, len(rows), SQLITE_BATCH):
                await tx.execute_many(sql, rows[at : at + SQLITE_BATCH])


async def may_skip_triggers(conn: BaseDBAsyncClient) -> bool:
    rows = await conn.execute_query_dict("SELECT current_setting('is_superuser') AS su")
    return str(rows[0]["su"]).lower() == "on"


async def analyze(conn: BaseDBAsyncClient) -> None:
    """Fresh statistics, so the planner sees the new rows (the POS lookup plan included)."""
    await conn.execute_script(
        "ANALYZE customer; ANALYZE customer_order; ANALYZE order_item; ANALYZE ledger_entry"
    )
