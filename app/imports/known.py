"""Which identifiers an organization's customers held when an import started.

Every batch of a customer import looks up the customers holding its identifiers (locked on
PostgreSQL). On a first load into an organization that has few customers, nearly every one
of those index probes finds nothing: a fifth of the database's work for nothing. So a job
whose file is at least half the size of the organization reads the organization's
identifiers once, keeps a 64-bit hash of each (8 bytes apiece, in a sorted numpy array), and
each batch asks the database only about the identifiers whose hash is there.

Identifiers given to customers after the snapshot (by the API, or another job) are not in it.
They cannot be missed: a row with any identifier in the snapshot is looked up with all of its
identifiers, and a row with none becomes a new customer, whose identifiers are held under unique
indexes: the batch that would create a second holder fails on one, is rolled back and retried,
and from then on the job looks up every identifier (`JobRunner` sets `full_lookups`). A dry run
writes nothing, so nothing would catch that: it takes no snapshot. A hash collision only costs
a lookup.
"""

from __future__ import annotations

import uuid

import numpy as np
import numpy.typing as npt

from app.imports.records import IDENTIFIERS
from app.imports.repository import jobs as repository
from app.imports.seen import Key, key_hash

# Organizations larger than this many times the file are looked up batch by batch instead.
SNAPSHOT_MAX_RATIO = 2
PAGE = 50_000


class KnownIdentifiers:
    def __init__(self, hashes: npt.NDArray[np.int64]) -> None:
        self._hashes = np.unique(hashes)

    def __len__(self) -> int:
        return len(self._hashes)

    def may_exist(self, keys: list[Key]) -> list[bool]:
        """Per key: whether it may belong to a customer (true for all that did at the
        snapshot, and for a few hash collisions)."""
        if not keys or not len(self._hashes):
            return [False] * len(keys)
        wanted = np.fromiter((key_hash(k) for k in keys), dtype=np.int64, count=len(keys))
        positions = np.searchsorted(self._hashes, wanted)
        positions[positions >= len(self._hashes)] = 0
        hits: list[bool] = (self._hashes[positions] == wanted).tolist()
        return hits

    def to_look_up(self, rows: list[tuple[Key, ...]]) -> list[Key]:
        """The identifiers of the rows to look up: every identifier of a row any of whose
        identifiers may exist. A row that matches a customer is then checked against all of
        its identifiers, even one given to someone since the snapshot, whether or not the row
        ends up written (CREATE_ONLY, a dry run). A row none of whose identifiers may exist
        becomes a new customer, and the unique indexes check that on insert."""
        hits = self.may_exist([key for keys in rows for key in keys])
        out: list[Key] = []
        start = 0
        for keys in rows:
            end = start + len(keys)
            if any(hits[start:end]):
                out.extend(keys)
            start = end
        return out


async def snapshot(organization_id: uuid.UUID, file_rows: int) -> KnownIdentifiers | None:
    """The organization's identifiers, or None when it is too large for the file to pay off."""
    total = await repository.customer_count(organization_id)
    if total > SNAPSHOT_MAX_RATIO * file_rows:
        return None
    chunks: list[npt.NDArray[np.int64]] = []
    last: uuid.UUID | None = None
    while True:
        page = await repository.customer_identifier_page(organization_id, IDENTIFIERS, last, PAGE)
        if not page:
            break
        hashes = [
            key_hash((column, value))
            for row in page
            for column, value in zip(IDENTIFIERS, row[1:], strict=True)
            if value
        ]
        chunks.append(np.asarray(hashes, dtype=np.int64))
        last = page[-1][0]
        if len(page) < PAGE:
            break
    # Identifiers of merged customers lead to their survivor: a row holding one must be
    # looked up (no unique index would catch it on insert).
    aliases = await repository.alias_identifiers(organization_id)
    chunks.append(np.asarray([key_hash(key) for key in aliases], dtype=np.int64))
    return KnownIdentifiers(np.concatenate(chunks))
