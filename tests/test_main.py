"""Liveness and readiness endpoints."""

from __future__ import annotations

import httpx

from app.config import Settings
from tests.factories import client_for


class TestHealth:
    async def test_answers_ok(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReady:
    async def test_reports_database_and_redis(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/ready")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}

    async def test_is_unavailable_without_redis(self, settings: Settings) -> None:
        async with client_for(settings, None) as gql:
            response = await gql.http.get("/ready")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "database": "ok",
            "redis": "unavailable",
        }


class TestCors:
    async def test_only_configured_origins_may_call_from_a_browser(
        self, settings: Settings
    ) -> None:
        configured = settings.with_overrides(cors_origins=("https://admin.example.com",))
        preflight = {
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        }
        async with client_for(configured, None) as gql:
            allowed = await gql.http.options(
                "/graphql", headers={"origin": "https://admin.example.com", **preflight}
            )
            refused = await gql.http.options(
                "/graphql", headers={"origin": "https://evil.example.com", **preflight}
            )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://admin.example.com"
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
