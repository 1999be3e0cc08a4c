"""Keyed digests of blocked identifiers, and the process's blocklist keys.

An entry of the privacy blocklist is never the identifier: it is an HMAC-SHA256 of the
normalized identifier, bound to its organization and its kind, under a secret key that lives
in configuration and never in the database. A dump of the table alone tells nothing, and a
phone number (a small, enumerable space) cannot be guessed back without the key.

Keys are versioned so they can rotate without plaintext (the database holds none). The digest
under version n is chained over the one under version n-1:

    D1 = HMAC(k1, "<organization>:<kind>:<value>")      Dn = HMAC(kn, D(n-1))

so `loyalty privacy rekey` can lift a stored D(n-1) to Dn from the table alone. After a re-key
the table holds only Dn values, which a leaked older key cannot test guesses against without
the current key too. A probe checks the two newest versions (the ones that coexist while a
rotation's re-key runs); older keys stay in the keyring only to compute the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from enum import StrEnum

from tortoise import connections


class IdentifierKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"


class BlocklistKeyMissing(RuntimeError):
    """No blocklist key was installed in this process (a wiring error, not a user error)."""


@dataclass(frozen=True)
class Keyring:
    """The blocklist keys by version, oldest first; the last one is current."""

    keys: tuple[tuple[int, bytes], ...]

    def __post_init__(self) -> None:
        versions = [v for v, _ in self.keys]
        if not versions or versions != sorted(set(versions)) or versions[0] < 1:
            raise ValueError("blocklist key versions must be distinct, ascending and positive")

    @classmethod
    def of(cls, keys: tuple[tuple[int, str], ...]) -> Keyring:
        return cls(tuple((version, key.encode()) for version, key in keys))

    @property
    def current_version(self) -> int:
        return self.keys[-1][0]

    def chain(self, organization_id: object, kind: IdentifierKind, value: str) -> list[str]:
        """The digest of one normalized identifier under every version, oldest first."""
        message = f"{organization_id}:{kind.value}:{value}".encode()
        digests: list[str] = []
        for _, key in self.keys:
            message = hmac.new(key, message, hashlib.sha256).digest()
            digests.append(message.hex())
        return digests

    def probe_digests(self, organization_id: object, kind: IdentifierKind, value: str) -> list[str]:
        """What a lookup looks for: the digests under the two newest versions, newest first."""
        return list(reversed(self.chain(organization_id, kind, value)[-2:]))

    def current_digest(self, organization_id: object, kind: IdentifierKind, value: str) -> str:
        return self.chain(organization_id, kind, value)[-1]

    def lift(self, digest_hex: str, from_version: int) -> str:
        """A stored digest under `from_version` carried to the current version (re-keying)."""
        later = [key for version, key in self.keys if version > from_version]
        if from_version not in {v for v, _ in self.keys}:
            raise ValueError(f"blocklist key version {from_version} is not in the keyring")
        value = bytes.fromhex(digest_hex)
        for key in later:
            value = hmac.new(key, value, hashlib.sha256).digest()
        return value.hex()


_installed: Keyring | None = None


def install(keyring: Keyring) -> None:
    """Called once by each entry point (API, worker, CLI, tests) with the configured keys."""
    global _installed
    _installed = keyring


def install_keys(keys: tuple[tuple[int, str], ...]) -> None:
    """Install configured keys; none configured (hand-built test settings) keeps what is."""
    if keys:
        install(Keyring.of(keys))


def keyring() -> Keyring:
    if _installed is None:
        raise BlocklistKeyMissing("no blocklist key installed in this process")
    return _installed


# Raw, like the POS wallet lookup: composing the query through the ORM costs several times the
# index lookup itself (bench/blocklist_probe.py).
_PROBE_SQL = {
    True: "SELECT 1 FROM blocklist_entry WHERE organization_id = $1 AND digest IN ($2, $3) LIMIT 1",
    False: "SELECT 1 FROM blocklist_entry WHERE organization_id = ? AND digest IN (?, ?) LIMIT 1",
}
_KIND_OF_COLUMN = {"email": IdentifierKind.EMAIL, "phone": IdentifierKind.PHONE}


async def identifier_blocked(organization_id: uuid.UUID, column: str, value: str) -> bool:
    """Whether a normalized email or phone is on the blocklist: one probe of its unique
    index, for the digests under the two newest key versions."""
    kind = _KIND_OF_COLUMN.get(column)
    if kind is None:
        return False
    digests = keyring().probe_digests(organization_id, kind, value)
    client = connections.get("default")
    # With one key version configured, both placeholders get its digest.
    params = [str(organization_id), digests[0], digests[-1]]
    _, rows = await client.execute_query(
        _PROBE_SQL[client.capabilities.dialect == "postgres"], params
    )
    return bool(rows)
