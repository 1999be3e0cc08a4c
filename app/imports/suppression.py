"""Which rows an import must skip and only count: the one hook for suppression.

A row is suppressed when
- it matches a customer that cannot be written to: one whose status is outside
  `app.customers.repository.visibility.LIVE_STATUSES` (ERASED, or MERGED into another);
- it carries an email or phone on the privacy blocklist (keyed digests of the identifiers of
  people who asked to be erased or opted out), whether or not a customer holds it;
- it names, by any identifier, a customer hidden because one of its identifiers is blocked.
Such rows are counted in `suppressed`, never reported row by row (a row error would echo or
confirm the identifier) and never written.

`prepare` receives every normalized identifier of a batch before any decision and loads what
the batch needs in two indexed queries; `is_suppressed` answers per row from memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core import blocklist
from app.core.blocklist import IdentifierKind
from app.customers.repository import visibility
from app.customers.repository.visibility import LIVE_STATUSES
from app.imports.seen import Key
from app.models.customer import CustomerStatus

_BLOCKABLE = {"email": IdentifierKind.EMAIL, "phone": IdentifierKind.PHONE}


class Suppression:
    def __init__(self, organization_id: uuid.UUID) -> None:
        self.organization_id = organization_id
        self._blocked: set[Key] = set()

    async def prepare(
        self, identifiers: Iterable[Key], conn: BaseDBAsyncClient | None = None
    ) -> None:
        """Find which of the batch's identifiers are blocked, or held by a blocked customer."""
        keys = [k for k in identifiers if k[0] in _BLOCKABLE or k[0] == "external_reference"]
        self._blocked = set()
        if not keys:
            return
        ring = blocklist.keyring()
        digest_of: dict[str, Key] = {}
        for key in keys:
            kind = _BLOCKABLE.get(key[0])
            if kind is not None:
                for digest in ring.probe_digests(self.organization_id, kind, key[1]):
                    digest_of[digest] = key
        hits = await visibility.blocked_digests(self.organization_id, list(digest_of), conn)
        self._blocked = {digest_of[d] for d in hits}
        self._blocked |= await visibility.blocked_customer_keys(self.organization_id, keys, conn)

    def is_suppressed(self, identifiers: Iterable[Key], matched: CustomerStatus | None) -> bool:
        """True when the row must not be written: a blocked identifier, or a match with a
        blocked, erased or merged customer."""
        if any(key in self._blocked for key in identifiers):
            return True
        return matched is not None and matched not in LIVE_STATUSES
