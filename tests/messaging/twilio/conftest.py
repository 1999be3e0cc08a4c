from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from app.messaging.twilio.client import TwilioConfig, TwilioProvider
from tests.fake_twilio import FakeTwilio


@pytest_asyncio.fixture
async def provider(fake_twilio: FakeTwilio) -> AsyncIterator[TwilioProvider]:
    """The Twilio provider pointed at the fake Twilio server."""
    config = TwilioConfig(fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.base_url)
    async with TwilioProvider(config) as twilio:
        yield twilio
