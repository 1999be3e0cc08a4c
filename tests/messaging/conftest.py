from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import MessagingSettings, Settings, SmsProviderKind
from tests.fake_twilio import FakeTwilio, running_fake_twilio


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
