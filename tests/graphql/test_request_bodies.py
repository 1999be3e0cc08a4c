"""What reaches the endpoint before GraphQL does: body size limits and malformed JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from arq.connections import ArqRedis

from app.config import Settings
from app.models.organization import Store
from tests.conftest import Tenant
from tests.factories import client_for

STORE_CREATE = 'mutation($n: String!) { storeCreate(name: $n, code: "main") { store { id } } }'


def store_body(name: str) -> bytes:
    return json.dumps({"query": STORE_CREATE, "variables": {"n": name}}).encode()


async def post(
    http: httpx.AsyncClient, tenant: Tenant, content: bytes | AsyncIterator[bytes]
) -> httpx.Response:
    return await http.post(
        "/graphql",
        content=content,
        headers={"authorization": f"Bearer {tenant.token}", "content-type": "application/json"},
    )


async def chunks(body: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


class TestBodyLimit:
    async def test_the_default_is_one_mebibyte(self, settings: Settings) -> None:
        assert settings.max_body_bytes == 1024 * 1024

    async def test_a_declared_length_over_the_limit_is_413_and_nothing_runs(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        small = settings.with_overrides(max_body_bytes=4096)
        async with client_for(small, arq_redis) as gql:
            response = await post(gql.http, tenant, store_body("x" * 5000))
        assert response.status_code == 413
        body = response.json()
        assert body["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
        assert body["errors"][0]["message"] == (
            "The request body is larger than the limit of 4 KiB."
        )
        assert await Store.filter(organization_id=tenant.organization_id).count() == 0

    async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        small = settings.with_overrides(max_body_bytes=4096)
        async with client_for(small, arq_redis) as gql:
            response = await post(gql.http, tenant, chunks(store_body("x" * 5000)))
            assert "content-length" not in response.request.headers
            assert response.status_code == 413
            # Under the limit, streamed the same way, it runs.
            response = await post(gql.http, tenant, chunks(store_body("Main")))
        assert response.status_code == 200, response.text
        assert response.json()["data"]["storeCreate"]["store"]["id"]
        assert await Store.filter(organization_id=tenant.organization_id).count() == 1


class TestMalformedJson:
    async def test_invalid_utf8_is_a_400_that_says_so(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        body = b'{"query": "{ viewer { kind } }", "variables": {"x": "\xff\xfe"}}'
        response = await post(http, tenant, body)
        assert response.status_code == 400
        assert response.text == "The request body is not valid UTF-8."

    async def test_json_nested_100000_levels_deep_is_a_400_that_says_so(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        depth = 100_000
        body = b'{"query": "{ viewer { kind } }", "variables": {"x": ' + b"[" * depth
        body += b"]" * depth + b"}}"
        response = await post(http, tenant, body)
        assert response.status_code == 400
        assert response.text == "The request body nests JSON too deeply."

    async def test_the_compiled_pos_path_refuses_them_the_same_way(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        query = "query($phone: String!) { wallet(phone: $phone) { balance } }"
        bad = json.dumps({"query": query, "variables": {"phone": "X"}}).encode()
        response = await post(http, tenant, bad.replace(b'"X"', b'"\xff"'))
        assert response.status_code == 400
        assert response.text == "The request body is not valid UTF-8."
        deep = bad.replace(b'"X"', b"[" * 100_000 + b"]" * 100_000)
        response = await post(http, tenant, deep)
        assert response.status_code == 400
        assert response.text == "The request body nests JSON too deeply."
