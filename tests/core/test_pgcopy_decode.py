"""Binary COPY streams of fixed-width records decoded back, however the network chunks them."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from app.core.pgcopy import HEADER, TRAILER
from app.core.pgcopy.decode import CopyDecoder, record_dtype, whole_records


class TestCopyDecoder:
    def stream(self, rows: list[tuple[bytes, list[float]]], columns: int) -> bytes:
        dtype = record_dtype(columns)
        records = np.zeros(len(rows), dtype=dtype)
        records["count"] = columns + 1
        records["id_length"] = 16
        for i, (key, values) in enumerate(rows):
            records["id"][i] = np.frombuffer(key, dtype=np.uint8)
            for n, v in enumerate(values):
                records[f"l{n}"][i] = 4
                records[f"v{n}"][i] = v
        return HEADER + records.tobytes() + TRAILER

    @pytest.mark.parametrize("piece", [1, 7, 23, 1000])
    def test_any_chunking_decodes_the_same(self, piece: int) -> None:
        rows = [(uuid.uuid4().bytes, [float(i), i / 2]) for i in range(50)]
        data = self.stream(rows, 2)
        decoder = CopyDecoder(2, block_bytes=64)
        for start in range(0, len(data), piece):
            decoder.feed(data[start : start + piece])
        ids, values = decoder.finish()
        assert [bytes(r) for r in ids] == [k for k, _ in rows]
        assert values.tolist() == [v for _, v in rows]

    def test_truncated_or_foreign_streams_are_refused(self) -> None:
        data = self.stream([(uuid.uuid4().bytes, [1.0])], 1)
        decoder = CopyDecoder(1)
        decoder.feed(data[:-5])
        with pytest.raises(ValueError, match="truncated"):
            decoder.finish()
        decoder = CopyDecoder(1)
        decoder.feed(b"NOTCOPY" + data[7:])
        with pytest.raises(ValueError, match="binary COPY"):
            decoder.finish()
        decoder = CopyDecoder(2)
        decoder.feed(data)
        with pytest.raises(ValueError, match=r"layout|truncated"):
            decoder.finish()


class TestWholeRecords:
    def test_a_complete_stream_reads_as_its_records(self) -> None:
        dtype = np.dtype([("count", ">i2"), ("length", ">i4"), ("value", ">i4")])
        records = np.zeros(3, dtype=dtype)
        records["count"], records["length"], records["value"] = 1, 4, [7, -1, 2**30]
        read = whole_records(HEADER + records.tobytes() + TRAILER, dtype)
        assert read["value"].tolist() == [7, -1, 2**30]

    def test_a_cut_stream_is_refused(self) -> None:
        dtype = np.dtype([("count", ">i2"), ("length", ">i4"), ("value", ">i4")])
        record = np.zeros(1, dtype=dtype).tobytes()
        with pytest.raises(ValueError, match="complete"):
            whole_records(HEADER + record, dtype)
        with pytest.raises(ValueError, match="layout"):
            whole_records(HEADER + record[:-1] + TRAILER, dtype)
