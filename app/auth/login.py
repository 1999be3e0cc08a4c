"""Staff sign-in by email and password, throttled, across organizations.

A staff email is unique within an organization only, so one email may open several. Sign-in
never tells a caller anything about an organization their credentials do not open: a wrong
password answers the same whatever exists, and when the password opens several organizations
and none was named, the answer lists exactly those (which the caller has just proved access to).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field

from app.audit import service as audit
from app.auth import repository
from app.auth.errors import AccountErrorCode
from app.auth.principal import Principal
from app.auth.service import IssuedToken, issue_token
from app.auth.throttle import LoginThrottle, Penalty
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.identifiers import InvalidIdentifier, normalize_email
from app.core.secrets import verify_password
from app.core.transactions import atomic
from app.models.audit import AuditAction
from app.models.organization import Organization
from app.models.staff import Staff


@dataclass(frozen=True)
class LoginResult:
    """A token, or (when the credentials open several organizations) the ones to choose from."""

    issued: IssuedToken | None = None
    organizations: list[Organization] = field(default_factory=list)


def _refused() -> DomainError:
    return DomainError(AccountErrorCode.INVALID_CREDENTIALS, "Email or password is not correct.")


async def _audit_penalties(candidates: list[Staff], penalties: list[Penalty]) -> None:
    """Each organization whose staff was targeted sees when slowing began and when the
    refusals began (not every failure in between)."""
    worth_noting = [p for p in penalties if p.stage_began]
    if not worth_noting or not candidates:
        return
    async with atomic() as conn:
        for staff in candidates:
            for penalty in worth_noting:
                await audit.record(
                    Principal.system(staff.organization_id),  # type: ignore[arg-type]
                    AuditAction.LOGIN_THROTTLED,
                    "staff",
                    staff.id,
                    {
                        "scope": penalty.scope.value,
                        "failures": penalty.failures,
                        "locked": penalty.locked,
                        "retryAfterSeconds": math.ceil(penalty.wait_seconds),
                    },
                    using_db=conn,
                )


async def login(
    email: str,
    password: str,
    ttl_seconds: int,
    *,
    organization_id: uuid.UUID | None = None,
    throttle: LoginThrottle | None = None,
    address: str | None = None,
) -> LoginResult:
    try:
        normalized: str | None = normalize_email(email)
    except InvalidIdentifier:
        normalized = None
    # Throttled by what was typed when it is not an email, so junk is throttled too.
    account = normalized or email.strip().lower()
    if throttle is not None:
        wait = await throttle.retry_after(account, address)
        if wait > 0:
            raise DomainError(
                AccountErrorCode.TOO_MANY_ATTEMPTS,
                f"Too many failed sign-ins: try again in {math.ceil(wait)} seconds.",
            )
    candidates: list[Staff] = []
    if normalized:
        candidates = await repository.active_staff_signing_in(normalized, organization_id)
    # Verify even when nobody has this email, so timing does not reveal which emails exist.
    matched = [s for s in candidates if verify_password(s.password_hash, password)]
    if not candidates:
        verify_password(None, password)
    if not matched:
        if throttle is not None:
            await _audit_penalties(candidates, await throttle.failed(account, address))
        raise _refused()
    if throttle is not None:
        await throttle.succeeded(account)
    if len(matched) > 1:
        return LoginResult(organizations=[s.organization for s in matched])
    staff = matched[0]
    staff.last_login_at = utcnow()
    await repository.save_staff(staff, ["last_login_at"])
    return LoginResult(issued=await issue_token(staff, ttl_seconds))
