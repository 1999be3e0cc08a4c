from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import MessagingSettings, Settings, SmsProviderKind
from app.core.jobs import queue_bound
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.models.message import OutboxMessage
from app.models.organization import Organization
from tests.burst_worker import run_worker
from tests.conftest import Tenant, make_tenant
from tests.fake_twilio import FakeTwilio, running_fake_twilio


@pytest_asyncio.fixture
async def tenant() -> Tenant:
    """The organization of these tests texts at any hour: the sender keeps quiet hours (see
    test_send_window), and a text held until morning would keep a burst worker waiting."""
    tenant = await make_tenant("Acme")
    await Organization.filter(id=tenant.organization_id).update(
        settings={"sms": {"quiet_hours": ["00:00", "24:00"]}}
    )
    return tenant


@pytest.fixture(scope="session")
def fake_twilio_server() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def fake_twilio(fake_twilio_server: FakeTwilio) -> Iterator[FakeTwilio]:
    """The shared fake Twilio, emptied for each test."""
    fake_twilio_server.reset()
    yield fake_twilio_server
    fake_twilio_server.reset()


@pytest.fixture
def twilio_settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    """Texts through the fake Twilio; delivery callbacks to the test client's host."""
    return settings.with_overrides(
        messaging=MessagingSettings(
            sms_provider=SmsProviderKind.TWILIO,
            twilio_account_sid=fake_twilio.account_sid,
            twilio_auth_token=fake_twilio.auth_token,
            twilio_base_url=fake_twilio.base_url,
            sms_from="+15005550006",
            public_url="http://test",
            retry_base_seconds=0.05,
        )
    )


@dataclass
class TwilioOutbox:
    """One organization's outbox sending through the fake Twilio, with a burst worker."""

    tenant: Tenant
    arq_redis: ArqRedis
    settings: Settings
    redis_url: str
    fake: FakeTwilio

    async def enqueue(self, new: NewMessage) -> OutboxMessage:
        with queue_bound(self.arq_redis):
            return await enqueue_message(Principal.system(self.tenant.organization_id), new)

    async def run_worker(self, settings: Settings | None = None) -> int:
        return await run_worker(settings or self.settings, self.redis_url)


@pytest.fixture
def twilio_outbox(
    tenant: Tenant,
    arq_redis: ArqRedis,
    twilio_settings: Settings,
    redis_url: str,
    fake_twilio: FakeTwilio,
) -> TwilioOutbox:
    return TwilioOutbox(tenant, arq_redis, twilio_settings, redis_url, fake_twilio)
