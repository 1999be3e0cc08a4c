"""Logs: JSON lines in production with the request's id, organization and operation; text
in development; never an exception's message."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.connections import ArqRedis

from app.config import ConfigurationError, Environment, Settings, load_settings
from app.logs import JsonFormatter, TextFormatter, configure_logging, formatter_for
from app.main import create_app
from app.request_context import RequestInfo, begin_request, end_request
from tests.conftest import Tenant


def _record(message: str, **extra: Any) -> logging.LogRecord:
    return logging.getLogger("app.test").makeRecord(
        "app.test", logging.WARNING, __file__, 1, message, (), None, extra=extra
    )


class TestJsonFormatter:
    def test_one_field_per_fact_with_the_request_context(self) -> None:
        token = begin_request(
            RequestInfo("req-1", organization_id="org-9", operation="WalletByPhone")
        )
        try:
            line = JsonFormatter().format(_record("wallet looked up", status=200))
        finally:
            end_request(token)
        entry = json.loads(line)
        assert entry["message"] == "wallet looked up"
        assert entry["level"] == "WARNING"
        assert entry["logger"] == "app.test"
        assert entry["request_id"] == "req-1"
        assert entry["organization_id"] == "org-9"
        assert entry["operation"] == "WalletByPhone"
        assert entry["status"] == 200
        assert entry["time"].endswith("+00:00")

    def test_outside_a_request_there_is_no_request_field(self) -> None:
        entry = json.loads(JsonFormatter().format(_record("tick")))
        assert "request_id" not in entry
        assert "organization_id" not in entry

    @pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()])
    def test_an_exception_gives_its_type_and_place_never_its_message(
        self, formatter: logging.Formatter
    ) -> None:
        try:
            raise ValueError("duplicate key (email)=(jane@example.com)")
        except ValueError:
            record = logging.getLogger("app.test").makeRecord(
                "app.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
            )
        line = formatter.format(record)
        assert "jane@example.com" not in line
        assert "ValueError" in line
        assert "test_logs.py" in line


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The app's loggers written as JSON into a buffer (handler on the root, as in production)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    requests = logging.getLogger("app.requests")
    level = requests.level
    root.addHandler(handler)
    requests.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        requests.setLevel(level)


async def test_a_request_is_logged_with_its_id_organization_and_operation(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant, captured: io.StringIO
) -> None:
    app = create_app(settings, manage_resources=False, redis=arq_redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql",
            json={"query": 'query Lookup { customer(email: "kim@example.com") { id } }'},
            headers={"authorization": f"Bearer {tenant.token}", "x-request-id": "trace-42"},
        )
    assert response.status_code == 200
    entries = [json.loads(line) for line in captured.getvalue().splitlines()]
    served = [e for e in entries if e["message"] == "request served"]
    assert served == [
        {
            **served[0],
            "request_id": "trace-42",
            "organization_id": str(tenant.organization_id),
            "operation": "Lookup",
            "route": "/graphql",
            "status": 200,
        }
    ]
    assert "kim@example.com" not in captured.getvalue()


class TestConfiguration:
    def test_production_logs_json_and_development_text(self, tmp_path: Path) -> None:
        base = {
            "LOYALTY_DATA_DIR": str(tmp_path),
            "LOYALTY_SECRET_KEY": "k" * 40,
            "LOYALTY_BLOCKLIST_KEY": "1:" + "b" * 40,
        }
        production = load_settings(
            {
                **base,
                "LOYALTY_ENV": "production",
                "DATABASE_URL": "postgres://x@127.0.0.1/x",
                "REDIS_URL": "redis://127.0.0.1:1/0",
            }
        )
        development = load_settings(base)
        assert isinstance(formatter_for(production), JsonFormatter)
        assert isinstance(formatter_for(development), TextFormatter)
        forced = load_settings({**base, "LOYALTY_LOG_FORMAT": "json"})
        assert isinstance(formatter_for(forced), JsonFormatter)

    def test_an_unknown_format_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="LOYALTY_LOG_FORMAT"):
            load_settings({"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_LOG_FORMAT": "xml"})

    def test_configure_logging_routes_uvicorn_through_the_json_handler(
        self, settings: Settings
    ) -> None:
        root = logging.getLogger()
        saved = (list(root.handlers), root.level)
        try:
            configure_logging(settings.with_overrides(env=Environment.PRODUCTION))
            (handler,) = root.handlers
            assert isinstance(handler.formatter, JsonFormatter)
            assert logging.getLogger("uvicorn.error").propagate
            assert logging.getLogger("uvicorn.error").handlers == []
        finally:
            root.handlers[:] = saved[0]
            root.setLevel(saved[1])
