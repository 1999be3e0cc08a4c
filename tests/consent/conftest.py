from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from arq.connections import ArqRedis

from app.config import MessagingSettings, Settings
from app.core.clock import advanced, utcnow
from app.main import create_app
from app.organizations.service import bootstrap
from tests.burst_worker import run_worker
from tests.conftest import OWNER_PASSWORD, GraphQLClient, Tenant
from tests.fake_twilio import twilio_signature

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
OUR_NUMBER = "+15005550006"
INBOUND_URL = "http://test/webhooks/sms/twilio"
# A Washington, DC number: libphonenumber puts it in America/New_York.
SHOPPER = "+12025550143"
NEW_YORK = ZoneInfo("America/New_York")


@contextlib.contextmanager
def local_time(hour: int, zone: ZoneInfo = NEW_YORK) -> Iterator[dt.datetime]:
    """The app's clock moved forward to the next `hour`:00 in `zone` (quiet hours are real)."""
    now = utcnow()
    target = now.astimezone(zone).replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now:
        target = (target + dt.timedelta(days=1)).replace(hour=hour)
    with advanced(target - now):
        yield target


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    """Texts through the outbox provider; inbound webhooks signed with a Twilio auth token."""
    return settings.with_overrides(
        messaging=MessagingSettings(twilio_auth_token=AUTH_TOKEN, sms_from=OUR_NUMBER)
    )


@pytest_asyncio.fixture
async def sms_http(sms_settings: Settings, arq_redis: ArqRedis) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(sms_settings, manage_resources=False, redis=arq_redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@dataclass
class SmsLoop:
    http: httpx.AsyncClient
    gql: GraphQLClient
    tenant: Tenant
    settings: Settings
    redis_url: str

    async def opt_in(self, phone: str = SHOPPER, **fields: Any) -> str:
        data = await self.gql.data(
            """mutation($input: CustomerFieldsInput!) {
              customerCreate(input: $input) { customer { id consent { smsState } }
                                             errors { code } } }""",
            {"input": {"phone": phone, "smsOptIn": True, **fields}},
            self.tenant.token,
        )
        payload = data["customerCreate"]
        assert payload["errors"] == []
        assert payload["customer"]["consent"]["smsState"] == "PENDING"
        return str(payload["customer"]["id"])

    async def reply(
        self,
        body: str,
        sid: str,
        *,
        sender: str = SHOPPER,
        to: str = OUR_NUMBER,
        signature: str | None = None,
    ) -> httpx.Response:
        form = {
            "AccountSid": "AC" + "0" * 32,
            "MessageSid": sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumSegments": "1",
        }
        signed = signature or twilio_signature(INBOUND_URL, form, AUTH_TOKEN)
        return await self.http.post(INBOUND_URL, data=form, headers={"X-Twilio-Signature": signed})

    async def run_worker(self) -> int:
        return await run_worker(self.settings, self.redis_url)


@pytest_asyncio.fixture
async def sms_tenant() -> Tenant:
    """A tenant whose owner's session outlives `local_time` moving the clock up to a day."""
    email = f"owner-{secrets.token_hex(4)}@acme-shop.com"
    result = await bootstrap(
        "Acme",
        email,
        OWNER_PASSWORD,
        default_region="US",
        timezone="UTC",
        token_ttl_seconds=3 * 24 * 3600,
    )
    return Tenant(result.organization.id, result.owner.id, result.token, email, OWNER_PASSWORD)


@pytest.fixture
def sms_loop(
    sms_http: httpx.AsyncClient, sms_tenant: Tenant, sms_settings: Settings, redis_url: str
) -> SmsLoop:
    return SmsLoop(sms_http, GraphQLClient(sms_http), sms_tenant, sms_settings, redis_url)
