"""At most once with a real worker process: SIGKILL it after the provider took a text but
before the row says so, then let another worker and the reconcile loop at it: the text is
never sent a second time, and the row ends FAILED `UNCONFIRMED:WORKER_LOST`."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from arq.connections import ArqRedis

from app.config import Settings
from app.core.clock import advanced
from app.core.jobs import queue_bound, send_now
from app.messaging import jobs
from app.messaging.providers import build_providers
from app.messaging.reconcile import WORKER_LOST, reconcile_outbox
from app.messaging.sender import SendOutcome, send_message
from app.models.message import MessageStatus, OutboxMessage
from tests.fake_twilio import FakeTwilio
from tests.messaging.conftest import TwilioOutbox
from tests.messaging.test_outbox import text


def worker(
    settings: Settings, redis_url: str, fake: FakeTwilio, *, burst: bool
) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("loyalty")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_SECRET_KEY": settings.secret_key,
        "LOYALTY_DATA_DIR": str(settings.data_dir),
        "LOYALTY_LOG_LEVEL": "WARNING",
        "LOYALTY_SMS_PROVIDER": "twilio",
        "LOYALTY_TWILIO_ACCOUNT_SID": fake.account_sid,
        "LOYALTY_TWILIO_AUTH_TOKEN": fake.auth_token,
        "LOYALTY_TWILIO_BASE_URL": fake.base_url,
        "LOYALTY_SMS_FROM": "+15005550006",
    }
    return subprocess.Popen(  # noqa: S603 - this project's own command
        [*command, "worker", *(["--burst"] if burst else [])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


async def test_sigkill_after_the_provider_took_the_text_never_sends_it_again(
    twilio_outbox: TwilioOutbox, arq_redis: ArqRedis
) -> None:
    outbox, fake = twilio_outbox, twilio_outbox.fake
    fake.answer_delay = 10.0
    message = await outbox.enqueue(text())

    first = worker(outbox.settings, outbox.redis_url, fake, burst=False)
    try:
        deadline = time.monotonic() + 60
        while not fake.messages:
            assert time.monotonic() < deadline, "the worker never sent the text"
            assert first.poll() is None, first.stderr.read() if first.stderr else b""
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    fake.answer_delay = 0.0
    assert (await OutboxMessage.get(id=message.id)).status is MessageStatus.SENDING

    # The job run again while the row says SENDING (arq re-runs a dead worker's job once its
    # hold expires): nothing is sent.
    providers = build_providers(outbox.settings.messaging)
    try:
        assert await send_message(message.id, providers) is SendOutcome.NOT_SENDABLE
    finally:
        await providers.aclose()

    # The reconcile loop gives the row up and clears the dead worker's job from arq; a lost
    # job's resend, run by a new worker, sends nothing either.
    stale = outbox.settings.messaging.sending_stale_seconds
    with queue_bound(arq_redis), advanced(dt.timedelta(seconds=stale + 1)):
        assert (await reconcile_outbox(stale)).given_up == 1
        assert await send_now(jobs.send_message(message.id, occasion="reconcile"))
    second = worker(outbox.settings, outbox.redis_url, fake, burst=True)
    try:
        _, stderr = await asyncio.to_thread(second.communicate, None, 120)
    finally:
        stop(second)
    assert second.returncode == 0, stderr.decode(errors="replace")[-2000:]

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.error_code, row.attempts) == (MessageStatus.FAILED, WORKER_LOST, 1)
    assert len(fake.messages) == 1
    assert fake.requests == 1
