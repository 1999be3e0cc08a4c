"""Privacy rules: blocking identifiers, the identifier status support staff may ask for, and
re-keying the blocklist.

Nothing here returns, logs or audits an identifier: audit entries carry counts, kinds and
answers, and name an identifier only by a keyed pseudonym (`_audit_subject`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core import blocklist
from app.core.blocklist import IdentifierKind
from app.core.errors import DomainError, PublicError, PublicErrorCode
from app.core.identifiers import InvalidIdentifier, normalize_email, normalize_phone
from app.core.transactions import atomic
from app.customers.finder import organization_region
from app.customers.repository import visibility
from app.models.audit import AuditAction
from app.models.customer import CustomerStatus
from app.models.privacy import BlockReason
from app.privacy import repository
from app.privacy.errors import PrivacyErrorCode as Code
from app.privacy.throttle import StatusCheckLimiter

_COLUMN = {IdentifierKind.EMAIL: "email", IdentifierKind.PHONE: "phone"}
MAX_IDENTIFIERS_PER_CALL = 100


class IdentifierStatus(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    MERGED = "MERGED"
    ERASED = "ERASED"
    BLOCKED = "BLOCKED"


@dataclass(frozen=True)
class StatusAnswer:
    status: IdentifierStatus
    # Only for MERGED: the live customer the identifier now leads to.
    survivor_id: uuid.UUID | None = None


class TooManyStatusChecks(PublicError):
    code = PublicErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many identifier status checks: try again in {retry_after} s.")
        self.retry_after = retry_after


async def _normalized(principal: Principal, kind: IdentifierKind, raw: str) -> str:
    try:
        if kind is IdentifierKind.EMAIL:
            return normalize_email(raw)
        return normalize_phone(raw, await organization_region(principal))
    except InvalidIdentifier as exc:
        code = Code.INVALID_EMAIL if kind is IdentifierKind.EMAIL else Code.INVALID_PHONE
        raise DomainError(code, exc.message, _COLUMN[kind]) from None


async def block_identifiers(
    principal: Principal,
    *,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
    reason: BlockReason,
) -> int:
    """Put identifiers on the organization's blocklist and hide every customer holding one.

    Used by erasure and opt-out requests. Returns how many identifiers were given; blocking an
    identifier twice changes nothing.
    """
    principal.require(Operation.PRIVACY_REQUEST)
    given = [(IdentifierKind.EMAIL, e) for e in emails or []]
    given += [(IdentifierKind.PHONE, p) for p in phones or []]
    if not given or len(given) > MAX_IDENTIFIERS_PER_CALL:
        raise DomainError(
            Code.INVALID, f"Give between 1 and {MAX_IDENTIFIERS_PER_CALL} identifiers."
        )
    normalized = [(kind, await _normalized(principal, kind, raw)) for kind, raw in given]
    ring = blocklist.keyring()
    org = principal.organization_id
    async with atomic() as conn:
        hidden = 0
        for kind, value in normalized:
            await repository.add_entries(
                org, [ring.current_digest(org, kind, value)], ring.current_version, reason, conn
            )
            hidden += await repository.mark_customers_blocked(org, _COLUMN[kind], value, conn)
        kinds = Counter(kind.value for kind, _ in normalized)
        await audit.record(
            principal,
            AuditAction.IDENTIFIERS_BLOCKED,
            "organization",
            org,
            {
                "reason": reason.value,
                "emails": kinds.get(IdentifierKind.EMAIL.value, 0),
                "phones": kinds.get(IdentifierKind.PHONE.value, 0),
                "customersHidden": hidden,
            },
            using_db=conn,
        )
    return len(normalized)


async def unblock_identifier(principal: Principal, kind: IdentifierKind, value: str) -> bool:
    """Recovery: the shopper proved control of a blocked identifier (a one-time code) and wants
    to use it again. Its entry goes, under every key version; customers holding it are shown
    again; their erased data stays erased. True when it was blocked."""
    principal.require_system()
    org = principal.organization_id
    normalized = await _normalized(principal, kind, value)
    digests = blocklist.keyring().chain(org, kind, normalized)
    async with atomic() as conn:
        removed = await repository.remove_entries(org, digests, conn)
        if removed:
            await repository.mark_customers_unblocked(org, _COLUMN[kind], normalized, conn)
            await audit.record(
                principal,
                AuditAction.IDENTIFIER_UNBLOCKED,
                "identifier",
                _audit_subject(org, kind, normalized),
                {"kind": kind.value},
                using_db=conn,
            )
    return removed > 0


def _audit_subject(organization_id: uuid.UUID, kind: IdentifierKind, value: str) -> uuid.UUID:
    """A pseudonym of the identifier for the audit trail: repeated checks of one identifier
    share it, and without the blocklist key it cannot be computed from a guess."""
    digest = blocklist.keyring().current_digest(organization_id, kind, value)
    return uuid.UUID(bytes=hashlib.sha256(b"audit-subject:" + digest.encode()).digest()[:16])


async def _answer(principal: Principal, kind: IdentifierKind, value: str) -> StatusAnswer:
    org = principal.organization_id
    digests = blocklist.keyring().probe_digests(org, kind, value)
    reason = await repository.reason_of(org, digests)
    if reason is not None:
        erased = reason is BlockReason.ERASED
        return StatusAnswer(IdentifierStatus.ERASED if erased else IdentifierStatus.BLOCKED)
    row = await repository.holder(org, _COLUMN[kind], value)
    if row is None:
        # An identifier a standing merge moved to its survivor.
        survivor = await visibility.by_alias(org, _COLUMN[kind], value)
        if survivor is not None:
            return StatusAnswer(IdentifierStatus.MERGED, survivor.id)
        return StatusAnswer(IdentifierStatus.NOT_FOUND)
    if row.blocked:
        return StatusAnswer(IdentifierStatus.BLOCKED)
    if row.status is CustomerStatus.MERGED:
        survivor = await visibility.follow_merges(principal, row)
        return StatusAnswer(IdentifierStatus.MERGED, survivor.id if survivor else None)
    return StatusAnswer(IdentifierStatus(row.status.value))


async def identifier_status(
    principal: Principal,
    *,
    email: str | None = None,
    phone: str | None = None,
    limiter: StatusCheckLimiter | None = None,
) -> StatusAnswer:
    """What support staff may learn about one email or phone: whether a customer holds it and
    in which state, or that it is erased or blocked. Never who, nor why beyond that."""
    principal.require(Operation.IDENTIFIER_STATUS)
    if (email is None) == (phone is None):
        raise DomainError(Code.INVALID, "Give exactly one of email, phone.")
    kind = IdentifierKind.EMAIL if email is not None else IdentifierKind.PHONE
    if limiter is not None:
        wait = await limiter.retry_after(principal.subject_id or principal.organization_id)
        if wait:
            raise TooManyStatusChecks(wait)
    value = await _normalized(principal, kind, email if email is not None else phone or "")
    answer = await _answer(principal, kind, value)
    await audit.record(
        principal,
        AuditAction.IDENTIFIER_STATUS_CHECKED,
        "identifier",
        _audit_subject(principal.organization_id, kind, value),
        {"kind": kind.value, "answer": answer.status.value},
    )
    return answer


@dataclass(frozen=True)
class RekeyResult:
    version: int
    rekeyed: int


async def rekey(principal: Principal) -> RekeyResult:
    """Carry every blocklist entry under an older key version to the current one, for every
    organization (`loyalty privacy rekey`, after a new key version was configured). Safe to
    stop and run again: each batch commits on its own."""
    principal.require_system()
    ring = blocklist.keyring()
    version = ring.current_version
    per_organization: Counter[uuid.UUID] = Counter()
    after: uuid.UUID | None = None
    while True:
        batch = await repository.stale_entries(version, after)
        if not batch:
            break
        async with atomic() as conn:
            for entry in batch:
                lifted = ring.lift(entry.digest, entry.key_version)
                await repository.rewrite_digest(entry.id, lifted, version, conn)
                per_organization[entry.organization_id] += 1
        after = batch[-1].id
    async with atomic() as conn:
        for organization_id, count in per_organization.items():
            await audit.record(
                Principal.system(organization_id),
                AuditAction.BLOCKLIST_REKEYED,
                "organization",
                organization_id,
                {"entries": count, "keyVersion": version},
                using_db=conn,
            )
    return RekeyResult(version, sum(per_organization.values()))
