"""Which identifiers earlier rows of a file already claimed, and on which row.

The first row that carries an identifier (an email, a phone, an external reference, a receipt
number) claims it; a later row repeating it is reported as a duplicate of that row. The index
keeps a 64-bit hash and a row number per identifier in sorted numpy arrays (12 bytes each,
about 36 MB for a million rows of three identifiers), merged like a log-structured tree so
adding a batch costs O(batch log n), never a re-sort of everything.

Hashes are Python's `hash` of (kind, value): fast, and stable within the process that builds
the index (a resumed job rebuilds it from the rows already committed). A collision (about one
chance in 10^7 for a million rows) would report a false duplicate; it cannot lose or double a
customer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Key = tuple[str, str]


def key_hash(key: Key) -> int:
    return hash(key)


class SeenKeys:
    def __init__(self) -> None:
        # Levels of (sorted hashes, rows), smallest last; sizes roughly halve level to level.
        self._levels: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def lookup(self, hashes: list[int]) -> dict[int, int]:
        """Hash -> first row, for the hashes already claimed."""
        if not hashes or not self._levels:
            return {}
        wanted = np.asarray(hashes, dtype=np.int64)
        found: dict[int, int] = {}
        for keys, rows in self._levels:
            positions = np.searchsorted(keys, wanted)
            positions[positions >= len(keys)] = 0
            hits = keys[positions] == wanted
            for value, row in zip(
                wanted[hits].tolist(), rows[positions[hits]].tolist(), strict=True
            ):
                if value not in found or row < found[value]:
                    found[value] = row
        return found

    def add(self, claims: dict[int, int]) -> None:
        """Record hash -> row claims (hashes not already present)."""
        if not claims:
            return
        keys = np.fromiter(claims.keys(), dtype=np.int64, count=len(claims))
        rows = np.fromiter(claims.values(), dtype=np.int32, count=len(claims))
        order = np.argsort(keys, kind="stable")
        level = (keys[order], rows[order])
        self._count += len(claims)
        while self._levels and len(self._levels[-1][0]) <= len(level[0]):
            keys_b, rows_b = self._levels.pop()
            merged_keys = np.concatenate((keys_b, level[0]))
            merged_rows = np.concatenate((rows_b, level[1]))
            order = np.argsort(merged_keys, kind="stable")
            level = (merged_keys[order], merged_rows[order])
        self._levels.append(level)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + r.nbytes for k, r in self._levels)


class BatchClaims:
    """The claims of one batch, checked against the index and against each other in file order."""

    def __init__(self, index: SeenKeys, candidates: list[Key]) -> None:
        self._index = index
        self._earlier = index.lookup([key_hash(k) for k in candidates])
        self._pending: dict[int, int] = {}

    def first_row(self, key: Key) -> int | None:
        value = key_hash(key)
        row = self._earlier.get(value)
        if row is not None:
            return row
        return self._pending.get(value)

    def claim(self, keys: list[Key], row: int) -> None:
        for key in keys:
            value = key_hash(key)
            if value not in self._earlier and value not in self._pending:
                self._pending[value] = row

    def commit(self) -> None:
        """After the batch committed: its claims join the index."""
        self._index.add(self._pending)
        self._pending = {}
