"""One-time verification codes: sent through the outbox, hashed, expiring, locking, rate
limited, never logged, and the same for a known shopper as for a stranger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import socket

import pytest
from arq.connections import ArqRedis
from redis.asyncio import Redis

from app.config import Settings
from app.core.clock import utcnow
from app.core.jobs import queue_bound
from app.logs import quiet_statement_loggers
from app.models.customer import Customer
from app.models.message import MessageChannel, MessagePurpose, OutboxMessage, VerificationCode
from app.privacy.verification import (
    CODE_TTL,
    CodeSent,
    Identifier,
    Refused,
    VerificationContext,
    VerificationErrorCode,
    Verified,
    check_code,
    start_verification,
)
from app.privacy.verification_limits import Limit, VerificationLimits
from tests.burst_worker import run_worker
from tests.conftest import Tenant

EMAIL = "Chloe.Shopper@Example.com"
NORMALIZED_EMAIL = "chloe.shopper@example.com"
PHONE = "(415) 555-0132"
E164 = "+14155550132"
ADDRESS = "203.0.113.7"

Code = VerificationErrorCode


@pytest.fixture
def context(arq_redis: ArqRedis, settings: Settings) -> VerificationContext:
    return VerificationContext(redis=arq_redis, secret_key=settings.secret_key)


async def code_sent_to(tenant: Tenant, recipient: str) -> str:
    """The code, read from the outbox as a developer (or the browser test) would."""
    message = (
        await OutboxMessage.filter(organization_id=tenant.organization_id, recipient=recipient)
        .order_by("-created_at")
        .first()
    )
    assert message is not None
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match is not None
    return match.group(1)


async def start(
    tenant: Tenant, context: VerificationContext, identifier: str = EMAIL, address: str = ADDRESS
) -> CodeSent | Refused:
    return await start_verification(tenant.organization_id, identifier, address, context)


async def check(
    tenant: Tenant,
    context: VerificationContext,
    code: str,
    identifier: str = EMAIL,
    address: str = ADDRESS,
    now: dt.datetime | None = None,
) -> Verified | Refused:
    return await check_code(tenant.organization_id, identifier, code, address, context, now=now)


def another(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestCodes:
    async def test_an_emailed_code_verifies_the_address_once(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        sent = await start(tenant, context)
        assert isinstance(sent, CodeSent)
        assert sent.channel is MessageChannel.EMAIL
        message = await OutboxMessage.get(recipient=NORMALIZED_EMAIL)
        assert message.purpose is MessagePurpose.VERIFICATION_CODE
        assert message.subject == "Your Acme verification code"
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        assert await check(tenant, context, code) == Verified(
            Identifier(MessageChannel.EMAIL, NORMALIZED_EMAIL)
        )
        # Used: the same code does not work twice.
        assert await check(tenant, context, code) == Refused(Code.WRONG_CODE)

    async def test_a_texted_code_verifies_the_number_in_any_format(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        sent = await start(tenant, context, PHONE)
        assert isinstance(sent, CodeSent)
        assert sent.channel is MessageChannel.SMS
        code = await code_sent_to(tenant, E164)
        result = await check(tenant, context, code[:3] + " " + code[3:], identifier=E164)
        assert result == Verified(Identifier(MessageChannel.SMS, E164))

    async def test_the_table_holds_neither_the_code_nor_the_identifier(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        await start(tenant, context)
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        row = await VerificationCode.get(organization_id=tenant.organization_id)
        stored = " ".join(str(v) for v in row.__dict__.values())
        assert code not in stored
        assert NORMALIZED_EMAIL not in stored.lower()
        assert row.expires_at - row.created_at == pytest.approx(
            CODE_TTL, abs=dt.timedelta(seconds=5)
        )

    async def test_a_code_expires_after_ten_minutes(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        await start(tenant, context)
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        later = utcnow() + CODE_TTL + dt.timedelta(seconds=1)
        assert await check(tenant, context, code, now=later) == Refused(Code.EXPIRED)

    async def test_five_wrong_attempts_lock_the_code(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        await start(tenant, context)
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        answers = [await check(tenant, context, another(code)) for _ in range(5)]
        assert answers == [
            Refused(Code.WRONG_CODE, attempts_left=4),
            Refused(Code.WRONG_CODE, attempts_left=3),
            Refused(Code.WRONG_CODE, attempts_left=2),
            Refused(Code.WRONG_CODE, attempts_left=1),
            Refused(Code.LOCKED),
        ]
        # Even the right code no longer works; a new one does.
        assert await check(tenant, context, code) == Refused(Code.LOCKED)
        await start(tenant, context)
        fresh = await code_sent_to(tenant, NORMALIZED_EMAIL)
        assert isinstance(await check(tenant, context, fresh), Verified)

    async def test_a_new_code_replaces_the_earlier_one(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        await start(tenant, context)
        first = await code_sent_to(tenant, NORMALIZED_EMAIL)
        await start(tenant, context)
        second = await code_sent_to(tenant, NORMALIZED_EMAIL)
        if first != second:
            assert await check(tenant, context, first) == Refused(Code.WRONG_CODE, attempts_left=4)
        assert isinstance(await check(tenant, context, second), Verified)

    async def test_codes_are_per_organization(
        self, tenant: Tenant, other_tenant: Tenant, context: VerificationContext
    ) -> None:
        await start(tenant, context)
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        assert await check(other_tenant, context, code) == Refused(Code.WRONG_CODE)
        assert isinstance(await check(tenant, context, code), Verified)

    @pytest.mark.parametrize("raw", ["", "not an email", "12", "@", "x" * 300])
    async def test_a_malformed_identifier_is_a_typed_refusal(
        self, tenant: Tenant, context: VerificationContext, raw: str
    ) -> None:
        assert await start(tenant, context, raw) == Refused(Code.INVALID_IDENTIFIER)
        assert await check(tenant, context, "123456", raw) == Refused(Code.INVALID_IDENTIFIER)
        assert await OutboxMessage.all().count() == 0

    @pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
    async def test_a_malformed_code_is_a_wrong_code(
        self, tenant: Tenant, context: VerificationContext, typed: str
    ) -> None:
        await start(tenant, context)
        result = await check(tenant, context, typed)
        assert isinstance(result, Refused)
        assert result.code is Code.WRONG_CODE


class TestNoEnumeration:
    async def test_a_known_shopper_and_a_stranger_get_the_same_answers_and_rows(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        await Customer.create(organization_id=tenant.organization_id, email=NORMALIZED_EMAIL)
        stranger = "nobody.here@example.com"
        known_sent, unknown_sent = (
            await start(tenant, context),
            await start(tenant, context, stranger),
        )
        assert isinstance(known_sent, CodeSent)
        assert isinstance(unknown_sent, CodeSent)
        assert known_sent.channel == unknown_sent.channel
        known_wrong = await check(tenant, context, "000000")
        unknown_wrong = await check(tenant, context, "000000", stranger)
        assert known_wrong == unknown_wrong == Refused(Code.WRONG_CODE, attempts_left=4)

        def shape(message: OutboxMessage) -> tuple[object, ...]:
            return (message.channel, message.purpose, message.customer_id, message.subject)

        known = await OutboxMessage.get(recipient=NORMALIZED_EMAIL)
        unknown = await OutboxMessage.get(recipient=stranger)
        assert shape(known) == shape(unknown)
        assert await VerificationCode.all().count() == 2


class TestRateLimits:
    async def test_codes_per_identifier_are_limited(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        limited = dataclasses.replace(
            context, limits=VerificationLimits(start_identifier=Limit(2, 600))
        )
        answers = [await start(tenant, limited, address=f"198.51.100.{i}") for i in range(3)]
        assert [type(a) for a in answers] == [CodeSent, CodeSent, Refused]
        refused = answers[2]
        assert isinstance(refused, Refused)
        assert refused.code is Code.RATE_LIMITED
        assert refused.retry_after_seconds is not None
        assert 0 < refused.retry_after_seconds <= 600
        # Nothing was sent for the refused request; another identifier is not affected.
        assert await OutboxMessage.all().count() == 2
        assert isinstance(await start(tenant, limited, "other@example.com"), CodeSent)

    async def test_codes_per_client_address_are_limited(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        limited = dataclasses.replace(
            context, limits=VerificationLimits(start_address=Limit(2, 600))
        )
        answers = [await start(tenant, limited, f"shopper{i}@example.com") for i in range(3)]
        assert [type(a) for a in answers] == [CodeSent, CodeSent, Refused]
        assert isinstance(
            await start(tenant, limited, "shopper9@example.com", address="192.0.2.1"), CodeSent
        )

    async def test_checks_per_client_address_are_limited(
        self, tenant: Tenant, context: VerificationContext
    ) -> None:
        limited = dataclasses.replace(
            context, limits=VerificationLimits(check_address=Limit(3, 600))
        )
        await start(tenant, limited)
        code = await code_sent_to(tenant, NORMALIZED_EMAIL)
        for _ in range(3):
            await check(tenant, limited, another(code), identifier=f"x{_}@example.com")
        result = await check(tenant, limited, code)
        assert isinstance(result, Refused)
        assert result.code is Code.RATE_LIMITED
        # The guess was refused before it used an attempt of the code.
        assert (await VerificationCode.get(organization_id=tenant.organization_id)).attempts == 0

    async def test_without_redis_no_code_is_sent(self, tenant: Tenant, settings: Settings) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        dead = Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            context = VerificationContext(redis=dead, secret_key=settings.secret_key)
            assert await start(tenant, context) == Refused(Code.UNAVAILABLE)
        finally:
            await dead.aclose()
        assert await OutboxMessage.all().count() == 0


async def test_a_code_never_reaches_a_log_redis_or_a_job(
    tenant: Tenant,
    context: VerificationContext,
    arq_redis: ArqRedis,
    settings: Settings,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_statement_loggers()
    with queue_bound(arq_redis):
        await start(tenant, context)
        await start(tenant, context, PHONE)
    codes = [await code_sent_to(tenant, NORMALIZED_EMAIL), await code_sent_to(tenant, E164)]
    jobs = [j for j in await arq_redis.queued_jobs() if j.function == "send_message"]
    assert len(jobs) == 2
    redis_dump = b""
    for key in await arq_redis.keys("*"):
        redis_dump += key
        if await arq_redis.type(key) == b"string":
            redis_dump += await arq_redis.get(key) or b""
    await run_worker(settings, redis_url)
    await check(tenant, context, codes[0])
    await check(tenant, context, another(codes[1]), identifier=E164)
    for code in codes:
        assert code not in caplog.text
        assert code.encode() not in redis_dump
        assert all(code not in str(job.args) for job in jobs)
    for identifier in (NORMALIZED_EMAIL, E164):
        assert identifier not in caplog.text
        assert identifier.encode() not in redis_dump


async def test_expired_codes_are_purged_a_day_later(
    tenant: Tenant, context: VerificationContext
) -> None:
    from app.privacy.verification import purge_expired_codes

    await start(tenant, context)
    assert await purge_expired_codes() == 0
    assert await purge_expired_codes(utcnow() + CODE_TTL + dt.timedelta(hours=23)) == 0
    assert await purge_expired_codes(utcnow() + CODE_TTL + dt.timedelta(days=1, seconds=1)) == 1
    assert await VerificationCode.all().count() == 0
