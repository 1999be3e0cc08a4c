"""The canary: a customer with a unique email, phone and name leaves traces everywhere the
product keeps data (orders, points, an import with a row error, outbox messages, an SMS reply
naming them, an export file waiting to be downloaded); then it is erased. Afterwards the whole
database (pg_dump on PostgreSQL, a full logical dump on SQLite), every Redis key and value,
every file of the data directory and the captured logs hold none of its identifiers or names."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, cast

import pytest
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import Settings
from app.consent.replies import Inbound, ReplyOutcome, handle_inbound
from app.consent.settings import SmsSettingsChanges, update_sms_settings
from app.logs import quiet_statement_loggers
from app.merges.service import MergeRequest, merge_customers
from app.models.customer import Customer, CustomerStatus
from app.models.imports import ImportKind
from app.models.privacy_request import PrivacyRequestKind
from app.privacy.verification import VerificationContext, start_verification
from app.privacy_requests.service import Target, file_request, run_request
from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer, owner_of
from tests.imports.helpers import run, start

EMAIL = "canary.quillfeather@example.net"
PHONE_INPUT = "(202) 555-0178"
OUR_NUMBER = "+15005550006"
NEEDLES = ("canary.quillfeather", "quillfeather", "zephyrine", "2025550178", "555-0178", "5550178")

ORDER = """
mutation($input: OrderRecordInput!) { orderRecord(input: $input) { order { id } errors { code } } }
"""


async def redis_dump(redis: ArqRedis) -> str:
    parts: list[str] = []
    async for key in redis.scan_iter(count=1000):
        parts.append(key.decode(errors="replace"))
        kind = (await redis.type(key)).decode()
        if kind == "string":
            parts.append(repr(await redis.get(key)))
        elif kind == "hash":
            parts.append(repr(await cast(Awaitable[Any], redis.hgetall(key))))
        elif kind == "list":
            parts.append(repr(await cast(Awaitable[Any], redis.lrange(key, 0, -1))))
        elif kind == "set":
            parts.append(repr(await cast(Awaitable[Any], redis.smembers(key))))
        elif kind == "zset":
            parts.append(repr(await redis.zrange(key, 0, -1, withscores=True)))
    return "\n".join(parts)


async def database_dump(database_url: str, backend: str) -> str:
    if backend == "postgres":
        url = database_url.replace("postgres://", "postgresql://", 1)
        result = await asyncio.to_thread(
            subprocess.run,
            ["pg_dump", "--no-owner", "--data-only", url],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout
    path = database_url.removeprefix("sqlite://")
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def files_dump(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", errors="replace") for p in root.rglob("*") if p.is_file()
    )


def found_in(text: str) -> list[str]:
    lowered = text.lower()
    return [needle for needle in NEEDLES if needle in lowered]


async def test_after_erasure_the_canary_is_nowhere(
    gql: GraphQLClient,
    tenant: Tenant,
    settings: Settings,
    arq_redis: ArqRedis,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Everything the service logs at its most verbose (its logging setup keeps the database
    # drivers' statement logs, which carry parameters, at INFO whatever the level).
    caplog.set_level(logging.DEBUG)
    quiet_statement_loggers()
    customer = await create_customer(
        gql,
        tenant.token,
        email=EMAIL,
        phone=PHONE_INPUT,
        firstName="Zephyrine",
        lastName="Quillfeather",
        traits={"nickname": "Zephyrine Q"},
        emailOptIn=True,
        smsOptIn=True,
    )
    # A duplicate of the canary, merged into it: its old email becomes an alias of the canary
    # and the merge record keeps a snapshot of it.
    twin = await create_customer(
        gql,
        tenant.token,
        email="canary.quillfeather+shop@example.net",
        firstName="Zephyrine",
        lastName="Q.",
    )
    await merge_customers(
        owner_of(tenant),
        MergeRequest(survivor_id=uuid.UUID(customer["id"]), merged_ids=[uuid.UUID(twin["id"])]),
    )
    # The double opt-in text is in the outbox; the canary's reply, naming them, is stored.
    # The sender is configured as staff do it (`smsSettingsUpdate`).
    await update_sms_settings(owner_of(tenant), SmsSettingsChanges(from_number=OUR_NUMBER))
    reply = Inbound("twilio", "SM" + "c" * 32, "+12025550178", OUR_NUMBER, "Zephyrine here: YES")
    assert await handle_inbound(reply) is ReplyOutcome.STORED
    placed = await gql.data(
        ORDER,
        {
            "input": {
                "customerId": customer["id"],
                "receiptNumber": "C-1",
                "total": "12.00",
                "placedAt": "2026-05-01T10:00:00Z",
            }
        },
        tenant.token,
    )
    assert placed["orderRecord"]["errors"] == []
    # An import that names the canary, with a row error on the canary's row.
    job = await start(
        owner_of(tenant),
        settings,
        f"Email,Phone,First Name,Birthday\n{EMAIL},{PHONE_INPUT},Zephyrine,not-a-date\n",
        kind=ImportKind.CUSTOMERS,
    )
    await run(job, settings)
    # Verification codes by email and by text, in the outbox.
    context = VerificationContext(redis=arq_redis, secret_key=settings.secret_key)
    for identifier in (EMAIL, PHONE_INPUT):
        await start_verification(tenant.organization_id, identifier, "198.51.100.7", context)
    # An export made and not yet downloaded.
    owner = owner_of(tenant)
    system = Principal.system(tenant.organization_id)
    export = await file_request(
        owner, settings, PrivacyRequestKind.EXPORT, Target(customer_id=customer["id"])
    )
    await run_request(system, settings, export.id)
    assert list(settings.exports_root.glob("*.json"))
    # The canary is really there before.
    before = await database_dump(settings.database_url, backend)
    assert found_in(before)

    erase = await file_request(owner, settings, PrivacyRequestKind.ERASE, Target(email=EMAIL))
    assert await run_request(system, settings, erase.id) == "DONE"

    assert (await Customer.get(id=customer["id"])).status is CustomerStatus.ERASED
    # The customer merged into it is erased with it.
    assert (await Customer.get(id=twin["id"])).status is CustomerStatus.ERASED
    after = await database_dump(settings.database_url, backend)
    assert where(after) == []
    assert where(await redis_dump(arq_redis)) == []
    assert where(files_dump(settings.data_dir)) == []
    assert where(files_dump(settings.imports_root)) == []
    assert where(caplog.text) == []


def where(text: str) -> list[str]:
    return [line[:300] for line in text.splitlines() if found_in(line)]
