"""Sending one outbox message: claim it, hand it to its provider, record what happened.

The guarantee is **at most once**. A send job first moves the row QUEUED -> SENDING with a
conditional UPDATE (committed before the provider is called): a second job for the same
message, or the same job run twice, finds no QUEUED row and sends nothing. After the
provider's answer the row moves on:

- accepted: SENT with the provider's id (the outbox provider: DELIVERED at once);
- a transient failure that certainly sent nothing (a refused connection, 429, 5xx): QUEUED
  again with `next_attempt_at` after an exponential backoff, and a deferred job; after
  `max_attempts` sends, FAILED with the last code;
- a permanent refusal: FAILED with the provider's code; Twilio's 21610 (opted out at the
  carrier) also makes the customer's SMS state UNSUBSCRIBED, with evidence;
- a failure after which the provider may have the message (a timeout, a connection lost
  mid-request): FAILED with `UNCONFIRMED:<code>`, never sent again, because a second copy
  is worse than none (a shopper asks for a new code; a consent text is asked for again).

Just before the claim a double opt-in text is checked against its recipient's quiet hours
again (a retry or a wait for the rate may have carried it past the window's end: it then
waits for the next opening), and texts are throttled per organization
(`settings.sms.rate_per_second`, `app.messaging.throttle`): a text over the rate stays QUEUED
with `next_attempt_at` at its place in the line and its job deferred to then, so it is
neither failed nor sent twice.

A worker killed between the provider's answer and the row's update leaves it SENDING; the
reconcile loop (`app.messaging.reconcile`) fails such rows as `UNCONFIRMED:WORKER_LOST` after
`sending_stale_seconds`, and never sends them. Neither the recipient nor the body is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from enum import StrEnum

from app.core.blocklist import identifier_blocked
from app.core.clock import monotonic, utcnow
from app.core.jobs import bound_queue, request_job
from app.core.transactions import atomic
from app.messaging import jobs, repository, throttle
from app.messaging.backoff import retry_delay
from app.messaging.outbox_provider import OUTBOX
from app.messaging.provider import SendResult, SmsAccepted, SmsFailure
from app.messaging.providers import Providers
from app.messaging.send_window import recipient_send_time
from app.models.customer import SmsState
from app.models.message import MessageChannel, MessagePurpose, MessageStatus, OutboxMessage

logger = logging.getLogger("app.messaging")

# Texts that go out whatever the SMS consent says: the one STOP confirmation, the answer to a
# HELP the shopper sent (carriers require one), and codes the shopper asked for on the privacy
# page (transactional, not marketing).
_SENT_WHEN_UNSUBSCRIBED = frozenset(
    {MessagePurpose.STOP_CONFIRMATION, MessagePurpose.HELP, MessagePurpose.VERIFICATION_CODE}
)
# Once a code has left through a real provider its text is not kept: the only plaintext copy
# of a verification code would otherwise sit in the outbox for its lifetime.
_BODY_KEPT_AFTER_SEND = frozenset(
    p for p in MessagePurpose if p is not MessagePurpose.VERIFICATION_CODE
)


class SendOutcome(StrEnum):
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    FAILED = "FAILED"
    # Another job has it, it was already sent, or its retry time has not come.
    NOT_SENDABLE = "NOT_SENDABLE"
    MISSING = "MISSING"
    # Over its organization's rate: QUEUED until its place in the line, its job deferred.
    THROTTLED = "THROTTLED"
    # Its recipient's sending window has closed since it was queued: QUEUED until it opens.
    QUIET_HOURS = "QUIET_HOURS"


# A rate change reaches running workers within this many seconds; meanwhile a send costs no
# read of the organization.
_RULES_TTL_SECONDS = 5.0
_rules: dict[uuid.UUID, tuple[float, repository.SendingRules]] = {}
# With a rate set but no Redis to count in (a process without a queue), wait and try again.
_NO_LIMITER_WAIT = dt.timedelta(seconds=1)


# Marketing texts keep the recipient's quiet hours when they are finally sent, not only when
# they were queued; answers to the shopper's own texts and codes they asked for go at once.
_KEEPS_QUIET_HOURS = frozenset({MessagePurpose.DOUBLE_OPT_IN})


async def _sending_rules(organization_id: uuid.UUID) -> repository.SendingRules:
    cached = _rules.get(organization_id)
    if cached is not None and cached[0] > monotonic():
        return cached[1]
    rules = await repository.sending_rules(organization_id)
    _rules[organization_id] = (monotonic() + _RULES_TTL_SECONDS, rules)
    return rules


async def _window_opening(
    message: OutboxMessage, rules: repository.SendingRules, now: dt.datetime
) -> dt.datetime | None:
    """When the recipient's window next opens, if it is closed now (else None)."""
    if message.purpose not in _KEEPS_QUIET_HOURS or message.customer_id is None:
        return None
    place = await repository.recipient_place(
        uuid.UUID(str(message.organization_id)), uuid.UUID(str(message.customer_id))
    )
    opening = recipient_send_time(
        now,
        country=place.country,
        region=place.region,
        phone=place.phone or message.recipient,
        organization_zone=rules.zone,
        window=rules.window,
    )
    return opening if opening > now else None


def _due(message: OutboxMessage, now: dt.datetime) -> bool:
    return message.status is MessageStatus.QUEUED and (
        message.next_attempt_at is None or message.next_attempt_at <= now
    )


async def _throttle(
    message: OutboxMessage, rules: repository.SendingRules, now: dt.datetime
) -> throttle.Granted | throttle.Wait | None:
    """The rate's answer for a text of a throttled organization; None when unthrottled."""
    if rules.rate_per_second == 0:
        return None
    redis = bound_queue()
    if redis is None:
        return throttle.Wait(now + _NO_LIMITER_WAIT)
    organization_id = uuid.UUID(str(message.organization_id))
    return await throttle.acquire(redis, organization_id, rules.rate_per_second, message.id)


async def _wait(message: OutboxMessage, until: dt.datetime, now: dt.datetime, why: str) -> None:
    """Leave the text QUEUED until `until`, with a job deferred to then."""
    if await repository.postpone(message.id, until):
        # The instant names the job: a later wait of the same message is a new job id.
        at = int(until.timestamp() * 1_000_000)
        await request_job(
            jobs.send_message(message.id, occasion=f"{why}{at}", delay=max(until - now, _ZERO))
        )


async def _hold(message: OutboxMessage, now: dt.datetime) -> SendOutcome | dt.datetime | None:
    """Before the claim, for a text: a reason to wait (the text is left waiting), or the
    instant its send counts against the organization's rate (None: unthrottled)."""
    if message.channel is not MessageChannel.SMS:
        return None
    rules = await _sending_rules(uuid.UUID(str(message.organization_id)))
    if (opening := await _window_opening(message, rules, now)) is not None:
        await _wait(message, opening, now, "window")
        return SendOutcome.QUIET_HOURS
    match await _throttle(message, rules, now):
        case throttle.Wait(until):
            await _wait(message, until, now, "slot")
            return SendOutcome.THROTTLED
        case throttle.Granted(at):
            return at
    return None


_ZERO = dt.timedelta(0)


async def _dispatch(message: OutboxMessage, providers: Providers) -> tuple[str, SendResult]:
    if message.channel is MessageChannel.SMS:
        result = await providers.sms.send(
            to=message.recipient,
            sender=await providers.sms_sender_for(uuid.UUID(str(message.organization_id))),
            body=message.body,
            status_callback=providers.status_callback,
        )
        return providers.sms.name, result
    result = await providers.email.send(
        to=message.recipient,
        sender=providers.email_from,
        subject=message.subject or "",
        body=message.body,
        message_id=str(message.id),
    )
    return providers.email.name, result


async def _suppressed(message: OutboxMessage) -> str | None:
    """Why the message must not go out now (an error code), or None."""
    organization_id = uuid.UUID(str(message.organization_id))
    # The privacy blocklist: nothing goes to an erased or opted-out identifier, by email or
    # text, except the one-time codes that let its owner recover it on the privacy page.
    if message.purpose is not MessagePurpose.VERIFICATION_CODE:
        column = "phone" if message.channel is MessageChannel.SMS else "email"
        if await identifier_blocked(organization_id, column, message.recipient):
            return "RECIPIENT_BLOCKED"
    if message.channel is not MessageChannel.SMS or message.customer_id is None:
        return None
    if message.purpose in _SENT_WHEN_UNSUBSCRIBED:
        return None
    state = await repository.sms_state(organization_id, uuid.UUID(str(message.customer_id)))
    if state is SmsState.UNSUBSCRIBED:
        return "RECIPIENT_UNSUBSCRIBED"
    # A confirmation request waiting for quiet hours to end may meet a STOP, a YES by another
    # route or the 30-day lapse first: it is then no longer a question to ask.
    if message.purpose is MessagePurpose.DOUBLE_OPT_IN and state is not SmsState.PENDING:
        return "NOT_PENDING"
    return None


async def _failed(message: OutboxMessage, provider: str, failure: SmsFailure) -> SendOutcome:
    async with atomic() as conn:
        await repository.mark_failed(message.id, provider, failure.code, conn)
        if failure.opted_out and message.customer_id is not None:
            await repository.unsubscribe_sms_at_carrier(
                uuid.UUID(str(message.organization_id)),
                uuid.UUID(str(message.customer_id)),
                # The text was refused, so the provider gave it no id: our row is the evidence.
                f"outbox:{message.id}",
                failure.code,
                conn,
            )
    return SendOutcome.FAILED


async def _retry(
    message: OutboxMessage,
    provider: str,
    failure: SmsFailure,
    providers: Providers,
    now: dt.datetime,
) -> SendOutcome:
    delay = dt.timedelta(
        seconds=retry_delay(
            message.attempts, failure.retry_after, base=providers.settings.retry_base_seconds
        )
    )
    if await repository.requeue(message.id, provider, failure.code, now + delay):
        await request_job(
            jobs.send_message(message.id, occasion=f"retry{message.attempts}", delay=delay)
        )
    return SendOutcome.RETRY_SCHEDULED


async def send_message(
    message_id: uuid.UUID, providers: Providers, now: dt.datetime | None = None
) -> SendOutcome:
    """Send one message if it is QUEUED and due; safe to call any number of times."""
    now = now or utcnow()
    queued = await repository.get(message_id)
    if queued is None:
        return SendOutcome.MISSING
    if not _due(queued, now):
        return SendOutcome.NOT_SENDABLE
    sent_at = await _hold(queued, now)
    if isinstance(sent_at, SendOutcome):
        return sent_at
    if not await repository.claim(message_id, now):
        return SendOutcome.NOT_SENDABLE  # another job took it since it was read
    message = await repository.get(message_id)
    assert message is not None  # claimed a moment ago; rows are never deleted here
    if (suppressed := await _suppressed(message)) is not None:
        await repository.mark_failed(message.id, None, suppressed)
        return SendOutcome.FAILED
    provider, result = await _dispatch(message, providers)
    if isinstance(result, SmsAccepted):
        delivered = provider == OUTBOX
        await repository.mark_accepted(
            message.id,
            provider,
            result.message_id,
            sent_at or utcnow(),
            delivered=delivered,
            redact_body=not delivered and message.purpose not in _BODY_KEPT_AFTER_SEND,
        )
        return SendOutcome.DELIVERED if delivered else SendOutcome.SENT
    if result.maybe_sent:
        unconfirmed = SmsFailure(f"UNCONFIRMED:{result.code}", permanent=True)
        return await _failed(message, provider, unconfirmed)
    if not result.permanent and message.attempts < providers.settings.max_attempts:
        return await _retry(message, provider, result, providers, now)
    logger.info(
        "message.failed purpose=%s channel=%s code=%s attempts=%s",
        message.purpose.value,
        message.channel.value,
        result.code,
        message.attempts,
    )
    return await _failed(message, provider, result)
