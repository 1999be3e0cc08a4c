"""Turning a bearer string into a Principal, with a short in-process cache.

The POS path authenticates on every request; asking the database each time would double its
cost. A verified credential is trusted for `ttl` seconds; a revocation made in this process
is effective at once, one made in another process within `ttl` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from app.auth import repository
from app.auth.permissions import known_scopes
from app.auth.principal import Principal, PrincipalKind
from app.core.clock import monotonic, utcnow
from app.core.errors import InvalidCredentials
from app.core.secrets import API_KEY_PREFIX, STAFF_TOKEN_PREFIX, secret_digest

_MAX_ENTRIES = 10_000


@dataclass
class _Entry:
    principal: Principal
    expires_at: float


class CredentialCache:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry.expires_at < monotonic():
            self._entries.pop(digest, None)
            return None
        return entry.principal

    def put(self, digest: str, principal: Principal, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = _Entry(principal, monotonic() + ttl)

    def forget(self, digest: str) -> None:
        self._entries.pop(digest, None)

    def forget_subject(self, subject_id: object) -> None:
        for digest in [d for d, e in self._entries.items() if e.principal.subject_id == subject_id]:
            self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()


cache = CredentialCache()


async def _load(secret: str, digest: str) -> tuple[Principal, float | None]:
    """The principal, and for a session the seconds it has left (the cache must not outlive it)."""
    now = utcnow()
    if secret.startswith(API_KEY_PREFIX):
        key = await repository.live_api_key(digest)
        if key is None:
            raise InvalidCredentials("The API key is not valid or has been revoked.")
        principal = Principal(
            organization_id=key.organization_id,  # type: ignore[arg-type]
            kind=PrincipalKind.API_KEY,
            subject_id=key.id,
            scopes=frozenset(known_scopes(key.scopes)),
        )
        return principal, None
    if secret.startswith(STAFF_TOKEN_PREFIX):
        session = await repository.live_session(digest, now)
        if session is None:
            raise InvalidCredentials("The session has expired or was signed out.")
        staff = session.staff
        principal = Principal(
            organization_id=staff.organization_id,  # type: ignore[arg-type]
            kind=PrincipalKind.STAFF,
            subject_id=staff.id,
            role=staff.role,
        )
        return principal, (session.expires_at - now).total_seconds()
    raise InvalidCredentials("The credential is not recognized.")


async def authenticate(secret: str, ttl: float) -> Principal:
    digest = secret_digest(secret)
    principal = cache.get(digest)
    if principal is None:
        principal, left = await _load(secret, digest)
        cache.put(digest, principal, ttl if left is None else min(ttl, left))
    return principal


async def reverify(secret: str, ttl: float) -> Principal:
    """Ask the database again, whatever the cache holds: a long-lived connection (a live
    subscription) re-checks its credential this way, so a revocation made in any process
    reaches it at its next check."""
    digest = secret_digest(secret)
    cache.forget(digest)
    principal, left = await _load(secret, digest)
    cache.put(digest, principal, ttl if left is None else min(ttl, left))
    return principal


def bearer_value(value: object) -> str | None:
    """The secret of a `Bearer <secret>` string, or None."""
    if not isinstance(value, str):
        return None
    scheme, _, secret = value.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def bearer_of(connection: HTTPConnection) -> str | None:
    """The credential of an `Authorization: Bearer <secret>` header (GraphQL and the HTTP
    routes read it the same way); None without one."""
    return bearer_value(connection.headers.get("authorization", ""))
