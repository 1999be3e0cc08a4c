"""Which rows an import must skip and only count: the one hook for suppression.

Today a row is suppressed when it matches a customer that cannot be written to: one whose
status is outside `app.customers.repository.visibility.LIVE_STATUSES` (ERASED, or MERGED
into another).
Such rows are counted in `suppressed`, never reported row by row and never written.

The privacy blocklist (keyed hashes of the identifiers of people who asked to be erased or
opted out) extends this class: `prepare` receives every normalized identifier of a batch before
any decision (one query for the batch), `is_suppressed` answers per row.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.customers.repository.visibility import LIVE_STATUSES
from app.imports.seen import Key
from app.models.customer import CustomerStatus


class Suppression:
    async def prepare(self, identifiers: Iterable[Key]) -> None:
        """Load what the batch's identifiers need (nothing yet: no blocklist exists)."""
        return

    def is_suppressed(self, identifiers: Iterable[Key], matched: CustomerStatus | None) -> bool:
        """True when the row must not be written: it matches an erased or merged customer."""
        return matched is not None and matched not in LIVE_STATUSES
