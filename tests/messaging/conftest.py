from __future__ import annotations

from collections.abc import Iterator

import pytest

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
