"""The page's state between steps, kept by the shopper's browser in one signed cookie.

It holds the organization, the identifier typed (the shopper's own, on their own device; never
in a URL or a log), whether a code sent to it was typed back and until when, and a random value
the forms echo back (CSRF). The signature (HMAC-SHA256 under the service's secret key) makes it
impossible to claim a verified identifier without having typed its code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace

COOKIE = "loyalty_privacy"
# Long enough to type a code and choose; verification itself lasts VERIFIED_SECONDS.
MAX_AGE_SECONDS = 30 * 60
VERIFIED_SECONDS = 15 * 60
_CONTEXT = b"loyalty-privacy-page:"


@dataclass(frozen=True)
class PageState:
    organization: str
    csrf: str
    identifier: str = ""
    channel: str = ""
    verified_until: float = 0.0
    issued_at: float = 0.0

    @classmethod
    def fresh(cls, organization: str) -> PageState:
        return cls(organization, secrets.token_urlsafe(16), issued_at=time.time())

    def with_identifier(self, identifier: str, channel: str) -> PageState:
        return replace(self, identifier=identifier, channel=channel, verified_until=0.0)

    def verified(self) -> PageState:
        return replace(self, verified_until=time.time() + VERIFIED_SECONDS)

    @property
    def is_verified(self) -> bool:
        return bool(self.identifier) and self.verified_until > time.time()


def _mac(secret_key: str, payload: bytes) -> str:
    digest = hmac.new(_CONTEXT + secret_key.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def dump(state: PageState, secret_key: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(asdict(state)).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(secret_key, payload.encode())}"


def load(raw: str | None, secret_key: str, organization: str) -> PageState | None:
    """The state in the cookie, if it is genuine, recent and for this organization."""
    if not raw or len(raw) > 4096 or "." not in raw:
        return None
    payload, mac = raw.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret_key, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        state = PageState(**data)
    except (ValueError, TypeError):
        return None
    if state.organization != organization or time.time() - state.issued_at > MAX_AGE_SECONDS:
        return None
    return state
