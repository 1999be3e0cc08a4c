"""Proving control of an email address or phone number with a one-time code.

`start_verification` sends a 6-digit code (valid 10 minutes, 5 attempts) through the outbox,
by email or text depending on the identifier; `check_code` accepts or refuses it. The shopper
is not signed in (the self-serve privacy page calls these), so they take the organization
explicitly, as the page's URL names it, and act as its system principal.

No enumeration: nothing here looks at whether a customer holds the identifier. A code goes to
any well-formed identifier (recovery from the blocklist needs codes for identifiers that no
customer holds), so the answers, the rows written and the order of the work are the same for
a known shopper and a stranger. What the page then offers is decided after a `Verified`.

Refusals are data (`Refused` with a code), never exceptions. The code itself appears only in
the outgoing message: never in a log, a job argument, an error or the code table (a keyed hash).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from redis.asyncio import Redis

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.identifiers import (
    InvalidIdentifier,
    looks_like_email,
    normalize_email,
    normalize_phone,
)
from app.core.transactions import atomic
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.models.message import MessageChannel, MessagePurpose
from app.organizations import repository as organizations
from app.privacy import verification_repository as codes
from app.privacy.verification_codes import (
    clean_code,
    code_digest,
    code_matches,
    identifier_digest,
    new_code,
    new_salt,
)
from app.privacy.verification_limits import (
    LimiterUnavailable,
    LimitScope,
    VerificationLimiter,
    VerificationLimits,
)

CODE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
# Compared against when no code is pending, so a check costs the same hash either way.
_NO_SALT = "0" * 32
_NO_DIGEST = "0" * 64


class VerificationErrorCode(StrEnum):
    INVALID_IDENTIFIER = "INVALID_IDENTIFIER"
    RATE_LIMITED = "RATE_LIMITED"
    # Not the code sent, or no code is pending for this identifier (the same answer).
    WRONG_CODE = "WRONG_CODE"
    EXPIRED = "EXPIRED"
    # Five wrong attempts: ask for a new code.
    LOCKED = "LOCKED"
    # The rate limits cannot be checked (Redis did not answer): try again later.
    UNAVAILABLE = "UNAVAILABLE"


_MESSAGES = {
    VerificationErrorCode.INVALID_IDENTIFIER: "Enter a valid email address or phone number.",
    VerificationErrorCode.RATE_LIMITED: "Too many requests. Try again later.",
    VerificationErrorCode.WRONG_CODE: "That code is not right. Check it and try again.",
    VerificationErrorCode.EXPIRED: "That code has expired. Ask for a new one.",
    VerificationErrorCode.LOCKED: "Too many wrong attempts. Ask for a new code.",
    VerificationErrorCode.UNAVAILABLE: "This is not available right now. Try again shortly.",
}


@dataclass(frozen=True)
class Identifier:
    channel: MessageChannel
    # Normalized: a lower-cased email address or an E.164 phone number.
    value: str


@dataclass(frozen=True)
class CodeSent:
    channel: MessageChannel
    expires_at: dt.datetime


@dataclass(frozen=True)
class Verified:
    identifier: Identifier


@dataclass(frozen=True)
class Refused:
    code: VerificationErrorCode
    # Seconds before asking again helps (rate limits).
    retry_after_seconds: int | None = None
    # Wrong codes: attempts left on the pending code.
    attempts_left: int | None = None

    @property
    def message(self) -> str:
        return _MESSAGES[self.code]


StartResult = CodeSent | Refused
CheckResult = Verified | Refused


@dataclass(frozen=True)
class VerificationContext:
    """What the calling entry point (the privacy page) supplies besides the request."""

    redis: Redis
    secret_key: str
    limits: VerificationLimits = field(default_factory=VerificationLimits)

    @property
    def limiter(self) -> VerificationLimiter:
        return VerificationLimiter(self.redis, self.secret_key, self.limits)


def parse_identifier(raw: str, default_region: str) -> Identifier | None:
    text = raw.strip()
    try:
        if looks_like_email(text):
            return Identifier(MessageChannel.EMAIL, normalize_email(text))
        return Identifier(MessageChannel.SMS, normalize_phone(text, default_region))
    except InvalidIdentifier:
        return None


def _message(channel: MessageChannel, program: str, code: str) -> tuple[str | None, str]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    if channel is MessageChannel.SMS:
        return None, (
            f"{program}: your verification code is {code}. It expires in {minutes} minutes. "
            "Never share it."
        )
    return f"Your {program} verification code", (
        f"Your verification code is {code}.\n\n"
        f"It expires in {minutes} minutes. If you did not ask for it, ignore this email: "
        f"nothing changes without the code.\n\n{program}"
    )


async def _limited(
    context: VerificationContext, organization_id: uuid.UUID, hits: list[tuple[LimitScope, str]]
) -> Refused | None:
    waits: list[int] = []
    try:
        for scope, value in hits:
            waits.append(await context.limiter.hit(organization_id, scope, value))
    except LimiterUnavailable:
        return Refused(VerificationErrorCode.UNAVAILABLE)
    wait = max(waits, default=0)
    return Refused(VerificationErrorCode.RATE_LIMITED, retry_after_seconds=wait) if wait else None


async def start_verification(
    organization_id: uuid.UUID,
    identifier: str,
    client_address: str,
    context: VerificationContext,
    *,
    now: dt.datetime | None = None,
) -> StartResult:
    """Send a new code to `identifier` (replacing any earlier one), or say why not."""
    organization = await organizations.get(organization_id)
    parsed = parse_identifier(identifier, organization.default_region)
    if parsed is None:
        return Refused(VerificationErrorCode.INVALID_IDENTIFIER)
    refused = await _limited(
        context,
        organization_id,
        [
            (LimitScope.START_ADDRESS, client_address),
            (LimitScope.START_IDENTIFIER, parsed.value),
        ],
    )
    if refused is not None:
        return refused
    now = now or utcnow()
    code, salt = new_code(), new_salt()
    digest = identifier_digest(context.secret_key, str(organization_id), parsed.value)
    subject, body = _message(parsed.channel, organization.name, code)
    async with atomic() as conn:
        await codes.supersede(organization_id, digest, now, conn)
        row = await codes.insert(
            organization_id,
            channel=parsed.channel,
            identifier_digest=digest,
            salt=salt,
            code_digest=code_digest(context.secret_key, salt, code),
            expires_at=now + CODE_TTL,
            conn=conn,
        )
        await enqueue_message(
            Principal.system(organization_id),
            NewMessage(
                channel=parsed.channel,
                purpose=MessagePurpose.VERIFICATION_CODE,
                recipient=parsed.value,
                subject=subject,
                body=body,
                idempotency_key=f"verification:{row.id}",
            ),
        )
    return CodeSent(parsed.channel, row.expires_at)


async def check_code(
    organization_id: uuid.UUID,
    identifier: str,
    code: str,
    client_address: str,
    context: VerificationContext,
    *,
    now: dt.datetime | None = None,
) -> CheckResult:
    """Accept the pending code of `identifier` once, or refuse with the reason."""
    organization = await organizations.get(organization_id)
    parsed = parse_identifier(identifier, organization.default_region)
    if parsed is None:
        return Refused(VerificationErrorCode.INVALID_IDENTIFIER)
    refused = await _limited(context, organization_id, [(LimitScope.CHECK_ADDRESS, client_address)])
    if refused is not None:
        return refused
    now = now or utcnow()
    typed = clean_code(code)
    digest = identifier_digest(context.secret_key, str(organization_id), parsed.value)
    pending = await codes.latest_unused(organization_id, digest)
    if pending is None:
        code_matches(context.secret_key, _NO_SALT, typed or "", _NO_DIGEST)
        return Refused(VerificationErrorCode.WRONG_CODE)
    if pending.expires_at <= now:
        return Refused(VerificationErrorCode.EXPIRED)
    if not await codes.take_attempt(pending.id, MAX_ATTEMPTS):
        return Refused(VerificationErrorCode.LOCKED)
    if typed is not None and code_matches(
        context.secret_key, pending.salt, typed, pending.code_digest
    ):
        if await codes.mark_used(pending.id, now):
            return Verified(parsed)
        return Refused(VerificationErrorCode.WRONG_CODE)  # accepted once, by a concurrent check
    left = MAX_ATTEMPTS - await codes.attempts(pending.id)
    if left <= 0:
        return Refused(VerificationErrorCode.LOCKED)
    return Refused(VerificationErrorCode.WRONG_CODE, attempts_left=left)


async def purge_expired_codes(now: dt.datetime | None = None) -> int:
    """Delete codes that expired over a day ago (a daily clean-up; the day keeps a trace for
    support questions about a code that "never worked")."""
    return await codes.purge_expired((now or utcnow()) - dt.timedelta(days=1))
