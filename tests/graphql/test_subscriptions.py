"""Live progress subscriptions over a real WebSocket: authentication, the per-credential limit,
revocation, and the message limits. The domains' own streams are tested in
tests/imports/test_subscriptions.py and tests/personas/test_subscriptions.py."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from arq.connections import ArqRedis

from app.auth import service as auth
from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.core.jobs import queue_bound
from app.core.live import channels
from app.core.live.slots import open_count
from app.imports.progress import ImportProgress, channel_of
from app.models.imports import ImportJob
from app.models.staff import Role
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, add_staff, owner_of
from tests.imports.helpers import csv_text, start
from tests.live_client import LiveClient, live_client, served

IMPORT_PROGRESS = """
subscription($id: ID!) {
  importJobProgress(id: $id) { progress { status done } errors { code message } }
}"""

LIMIT = 2
RECHECK = 0.3


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        subscription_recheck_seconds=RECHECK, max_subscriptions_per_credential=LIMIT
    )


async def queued_job(tenant: Tenant, settings: Settings) -> str:
    """A job that stays QUEUED (no worker runs in these tests): its subscription stays open."""
    job = await start(owner_of(tenant), settings, csv_text("Email", "a@example.com"))
    return str(job.id)


async def slots_drop_to(count: int, holder: str, redis: ArqRedis) -> None:
    """Wait (a few seconds at most) until `holder` has `count` subscription slots taken."""
    with queue_bound(redis):
        deadline = time.monotonic() + 10
        while await open_count(holder) > count:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)


async def first_event(client: LiveClient, operation: str) -> dict[str, Any]:
    message = await client.next_for(operation)
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["importJobProgress"]
    return event


@asynccontextmanager
async def following(
    settings: Settings, redis: ArqRedis, token: str, job_id: str
) -> AsyncIterator[LiveClient]:
    """A client of a served app, subscribed to the job's progress, its first event read."""
    async with served(settings, redis) as url, live_client(url, token) as client:
        operation = await client.subscribe(IMPORT_PROGRESS, {"id": job_id})
        await first_event(client, operation)
        yield client


class TestAuthentication:
    async def test_connection_init_without_a_credential_is_refused(
        self, live_settings: Settings, arq_redis: ArqRedis
    ) -> None:
        async with served(live_settings, arq_redis) as url, live_client(url) as client:
            await client.send_init(None)
            assert await client.closed_with() == (4403, "Forbidden")

    async def test_a_wrong_or_revoked_credential_is_refused(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.WALLET_READ)
        await auth.revoke_api_key(owner_of(tenant), key.id)
        async with served(live_settings, arq_redis) as url:
            for token in ("stf_not-a-token", key.secret, "something else"):
                async with live_client(url) as client:
                    await client.send_init(token)
                    assert await client.closed_with() == (4403, "Forbidden")

    async def test_subscribing_before_connection_init_closes_the_socket(
        self, live_settings: Settings, arq_redis: ArqRedis
    ) -> None:
        async with served(live_settings, arq_redis) as url, live_client(url) as client:
            await client.subscribe(IMPORT_PROGRESS, {"id": str(uuid.uuid4())})
            assert await client.closed_with() == (4401, "Unauthorized")

    async def test_a_role_without_the_permission_gets_forbidden(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        member = await add_staff(tenant, Role.STAFF)
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, member.token) as client,
        ):
            operation = await client.subscribe(IMPORT_PROGRESS, {"id": job_id})
            message = await client.next_for(operation)
        errors = message["payload"].get("errors") or []
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], message

    async def test_the_credential_may_also_come_in_the_handshake_header(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        from websockets.asyncio.client import connect

        job_id = await queued_job(tenant, live_settings)
        async with (
            served(live_settings, arq_redis) as url,
            connect(
                url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                additional_headers={"authorization": f"Bearer {tenant.token}"},
            ) as ws,
        ):
            client = LiveClient(ws)
            assert await client.init(None) == {"type": "connection_ack"}
            operation = await client.subscribe(IMPORT_PROGRESS, {"id": job_id})
            assert (await first_event(client, operation))["progress"]["status"] == "QUEUED"


class TestLimitPerCredential:
    async def test_the_subscription_past_the_limit_is_refused_across_connections(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as one,
            live_client(url, tenant.token) as two,
        ):
            first = await one.subscribe(IMPORT_PROGRESS, {"id": job_id})
            assert (await first_event(one, first))["progress"]["status"] == "QUEUED"
            second = await two.subscribe(IMPORT_PROGRESS, {"id": job_id})
            assert (await first_event(two, second))["progress"]["status"] == "QUEUED"

            third = await two.subscribe(IMPORT_PROGRESS, {"id": job_id})
            refused = await two.events(third)
            assert refused == [
                {
                    "data": {
                        "importJobProgress": {
                            "progress": None,
                            "errors": [
                                {
                                    "code": "TOO_MANY_SUBSCRIPTIONS",
                                    "message": f"At most {LIMIT} live subscriptions may be open"
                                    " at once per credential; close one before opening another.",
                                }
                            ],
                        }
                    }
                }
            ]

            # Closing one frees its slot at once.
            await one.send({"type": "complete", "id": first})
            await slots_drop_to(1, owner_of(tenant).holder, arq_redis)
            fourth = await two.subscribe(IMPORT_PROGRESS, {"id": job_id})
            assert (await first_event(two, fourth))["progress"]["status"] == "QUEUED"

    async def test_another_credential_holder_has_its_own_slots(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        manager = await add_staff(tenant, Role.MANAGER)
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as owner,
            live_client(url, manager.token) as other,
        ):
            for _ in range(LIMIT):
                operation = await owner.subscribe(IMPORT_PROGRESS, {"id": job_id})
                assert (await first_event(owner, operation))["errors"] == []
            operation = await other.subscribe(IMPORT_PROGRESS, {"id": job_id})
            assert (await first_event(other, operation))["errors"] == []

    async def test_a_busy_subscription_keeps_its_slot(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        """Messages arriving faster than the re-check interval for longer than a lease: the
        slot is renewed all the same, so the limit still counts it."""
        job = await ImportJob.get(id=await queued_job(tenant, live_settings))
        holder = owner_of(tenant).holder
        async with following(live_settings, arq_redis, tenant.token, str(job.id)):
            lease = 3 * RECHECK
            with queue_bound(arq_redis):
                started = time.monotonic()
                processed = 0
                while time.monotonic() - started < 2 * lease:
                    processed += 1
                    message = ImportProgress.of(job).to_message() | {"processed": processed}
                    await channels.publish(channel_of(tenant.organization_id, job.id), message)
                    await asyncio.sleep(RECHECK / 4)
                assert await open_count(holder) == 1

    async def test_a_closed_connection_gives_its_slots_back(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        holder = owner_of(tenant).holder
        async with served(live_settings, arq_redis) as url:
            async with live_client(url, tenant.token) as client:
                for _ in range(LIMIT):
                    operation = await client.subscribe(IMPORT_PROGRESS, {"id": job_id})
                    await first_event(client, operation)
                with queue_bound(arq_redis):
                    assert await open_count(holder) == LIMIT
            await slots_drop_to(0, holder, arq_redis)


class TestRevocation:
    async def test_signing_out_closes_open_subscriptions_within_the_recheck_interval(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        async with following(live_settings, arq_redis, tenant.token, job_id) as client:
            await auth.logout(tenant.token)
            signed_out = time.monotonic()
            code, reason = await client.closed_with()
            waited = time.monotonic() - signed_out
        assert (code, reason) == (4403, "The credential was revoked or has expired.")
        # Bounded by the re-check interval (plus scheduling slack on a busy machine).
        assert waited < RECHECK + 5

    async def test_a_revoked_api_key_is_disconnected(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.WALLET_READ)
        async with served(live_settings, arq_redis) as url, live_client(url, key.secret) as client:
            await auth.revoke_api_key(owner_of(tenant), key.id)
            assert (await client.closed_with())[0] == 4403

    async def test_a_deactivated_staff_member_is_disconnected(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        manager = await add_staff(tenant, Role.MANAGER)
        async with following(live_settings, arq_redis, manager.token, job_id) as client:
            await auth.deactivate_staff(owner_of(tenant), manager.id)
            assert (await client.closed_with())[0] == 4403


class TestOverHttp:
    async def test_a_subscription_posted_over_http_is_refused_with_a_code(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        body = await gql.raw(
            "subscription { personaRegeneration { errors { code } } }", token=tenant.token
        )
        assert body == {
            "data": None,
            "errors": [
                {
                    "message": "Subscriptions are served over WebSocket (graphql-transport-ws)"
                    " on this same path.",
                    "extensions": {"code": "INVALID_ARGUMENT"},
                }
            ],
        }


class TestMessages:
    async def test_a_message_over_the_body_limit_closes_the_socket(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        small = live_settings.with_overrides(max_body_bytes=4096)
        async with served(small, arq_redis) as url, live_client(url, tenant.token) as client:
            await client.subscribe(IMPORT_PROGRESS, {"id": "x" * 5000})
            assert await client.closed_with() == (
                1009,
                "A message is larger than the limit of 4 KiB.",
            )

    @pytest.mark.parametrize(
        "message",
        [
            "[1, 2]",
            '"text"',
            "not json",
            json.dumps({"type": "subscribe", "id": 5, "payload": {"query": "{ x }"}}),
            json.dumps({"type": "subscribe", "id": "1", "payload": "query"}),
            json.dumps({"type": "subscribe", "id": "1", "payload": {"query": 3}}),
        ],
    )
    async def test_a_malformed_message_closes_with_4400(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant, message: str
    ) -> None:
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as client,
        ):
            await client.ws.send(message)
            assert (await client.closed_with())[0] == 4400

    async def test_string_arguments_have_their_http_limits(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as client,
        ):
            operation = await client.subscribe(IMPORT_PROGRESS, {"id": "x" * 300})
            message = await client.next_for(operation)
        errors = message["payload"].get("errors") or []
        assert [e["extensions"]["code"] for e in errors] == ["VALUE_TOO_LONG"], message
        assert "xxx" not in json.dumps(message)

    async def test_a_variable_of_the_wrong_type_is_not_echoed(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as client,
        ):
            operation = await client.subscribe(IMPORT_PROGRESS, {"id": {"email": "jo@example.com"}})
            message = await client.next_for(operation)
        assert message["type"] == "error", message
        assert "jo@example.com" not in json.dumps(message)

    async def test_the_query_document_limits_of_http_apply(
        self, live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        job_id = await queued_job(tenant, live_settings)
        aliases = " ".join(
            f"a{i}: importJobProgress(id: $id) {{ errors {{ code }} }}" for i in range(40)
        )
        async with (
            served(live_settings, arq_redis) as url,
            live_client(url, tenant.token) as client,
        ):
            operation = await client.subscribe(
                f"subscription($id: ID!) {{ {aliases} }}", {"id": job_id}
            )
            message = await client.next_for(operation)
        assert message["type"] == "error", message
