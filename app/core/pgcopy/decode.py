"""Binary COPY output read back into numpy arrays, for streams of fixed-width records (every
field non-NULL and of a fixed size: uuids, float4s), without a Python object per value."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from app.core.pgcopy import HEADER, SIGNATURE, TRAILER

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

_HEADER_LENGTH = len(SIGNATURE) + 8  # flags and header extension length


def whole_records(data: bytes, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """The records of a complete stream (header without extension, trailer) as one array."""
    if data[: len(SIGNATURE)] != SIGNATURE or data[-len(TRAILER) :] != TRAILER:
        raise ValueError("not a complete binary COPY stream")
    body = memoryview(data)[len(HEADER) : len(data) - len(TRAILER)]
    if len(body) % dtype.itemsize:
        raise ValueError("unexpected COPY record layout")
    return np.frombuffer(body, dtype=dtype)


def record_dtype(columns: int) -> np.dtype[Any]:
    """One binary COPY tuple of (uuid, float4 × columns), all non-null."""
    fields: list[tuple[Any, ...]] = [("count", ">i2"), ("id_length", ">i4"), ("id", "u1", (16,))]
    for n in range(columns):
        fields += [(f"l{n}", ">i4"), (f"v{n}", ">f4")]
    return np.dtype(fields)


class CopyDecoder:
    """Decodes a binary COPY stream of fixed-width (uuid, float4...) tuples as it arrives.

    Network chunks are gathered until about `block_bytes`, then decoded in one numpy pass into
    compact float32 rows, so the raw stream never accumulates.
    """

    def __init__(self, columns: int, block_bytes: int = 8 << 20) -> None:
        self.columns = columns
        self.dtype = record_dtype(columns)
        self.size = self.dtype.itemsize
        self.block_bytes = block_bytes
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._rest = b""
        self._header_seen = False
        self.ids: list[U8] = []
        self.values: list[F32] = []

    def feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered >= self.block_bytes:
            self._decode()

    def _decode(self) -> None:
        data = self._rest + b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        start = 0
        if not self._header_seen:
            if len(data) < _HEADER_LENGTH:
                self._rest = data
                return
            if data[: len(SIGNATURE)] != SIGNATURE:
                raise ValueError("not a binary COPY stream")
            extension = int.from_bytes(data[_HEADER_LENGTH - 4 : _HEADER_LENGTH], "big")
            if len(data) < _HEADER_LENGTH + extension:
                self._rest = data
                return
            start = _HEADER_LENGTH + extension
            self._header_seen = True
        whole = (len(data) - start) // self.size
        end = start + whole * self.size
        # The trailer (-1 as int16) is shorter than a record: it stays in `_rest` at the end.
        if whole:
            self._take(np.frombuffer(data, dtype=self.dtype, count=whole, offset=start))
        self._rest = data[end:]

    def _take(self, block: npt.NDArray[Any]) -> None:
        if not (block["count"] == self.columns + 1).all() or not (block["id_length"] == 16).all():
            raise ValueError("unexpected COPY record layout")
        out = np.empty((len(block), self.columns), dtype=np.float32)
        for n in range(self.columns):
            if not (block[f"l{n}"] == 4).all():
                raise ValueError("unexpected null in a feature column")
            out[:, n] = block[f"v{n}"]
        self.ids.append(np.array(block["id"], dtype=np.uint8))
        self.values.append(out)

    def finish(self) -> tuple[U8, F32]:
        self._decode()
        if not self._header_seen or self._rest != b"\xff\xff":
            raise ValueError("truncated COPY stream")
        ids = np.concatenate(self.ids) if self.ids else np.zeros((0, 16), np.uint8)
        values = (
            np.concatenate(self.values) if self.values else np.zeros((0, self.columns), np.float32)
        )
        self.ids.clear()
        self.values.clear()
        return ids, values
