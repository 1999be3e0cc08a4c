"""Reading an uploaded CSV: what it is (encoding, delimiter, header) and its records, streamed.

- Encoding: UTF-8 with or without a byte order mark; a file that is not valid UTF-8 anywhere is
  read as Latin-1 (the scan pass decides, reading the whole file once). UTF-16/32 files and
  binary files (workbooks, archives, PDFs, images) are refused with a clear code.
- Delimiter: the one of `, ; TAB |` that splits the header line into the most fields.
- Records: `csv` in strict mode, so quoted fields may hold delimiters and newlines; a record the
  parser cannot read becomes a row error and the next line is read on, except a quote left open
  at the end of the file, which swallows the rest of it: that fails the job in the scan, before
  anything is written.

Row numbers are the ones a spreadsheet shows: the header is row 1 (after any blank lines above
it), and each record is one row, whatever newlines its quoted fields hold.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import DomainError
from app.imports.errors import ImportErrorCode as Code

HEAD_BYTES = 1 << 20
# The parser's hard limit on one field (memory stays bounded); a longer field is a row error.
MAX_FIELD_CHARS = 16 * 1024 * 1024
# Longest cell a field takes; longer cells are a row error (a 10 MB "name" is not a name).
MAX_CELL_CHARS = 64 * 1024
DELIMITER_CANDIDATES = (",", ";", "\t", "|")

csv.field_size_limit(MAX_FIELD_CHARS)

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a spreadsheet workbook or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3", "an SQLite database"),
)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


@dataclass(frozen=True)
class Layout:
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    # Records before the first data record: blank lines above the header, and the header.
    header_records: int

    def to_json(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_records": self.header_records,
        }


def _refuse(code: Code, message: str) -> DomainError:
    return DomainError(code, message, "file")


def _check_bytes(head: bytes) -> None:
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _refuse(Code.EMPTY_FILE, "The file is empty.")
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            raise _refuse(
                Code.UNSUPPORTED_ENCODING,
                f"The file is {name} text: save it as CSV in UTF-8 and upload it again.",
            )
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise _refuse(Code.NOT_CSV, f"The file is {what}, not CSV: export it as CSV.")
    sample = head[:4096]
    if b"\x00" in sample:
        # Every other byte zero: UTF-16 without a byte order mark.
        if sample.count(b"\x00") * 3 >= len(sample):
            raise _refuse(
                Code.UNSUPPORTED_ENCODING,
                "The file looks like UTF-16 text: save it as CSV in UTF-8 and upload it again.",
            )
        raise _refuse(Code.NOT_CSV, "The file holds binary data, not CSV text.")


def _guess_encoding(head: bytes, complete: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _detect_delimiter(first_line: str) -> str:
    counts = dict.fromkeys(DELIMITER_CANDIDATES, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITER_CANDIDATES, key=lambda d: (counts[d], -DELIMITER_CANDIDATES.index(d)))
    return best if counts[best] else ","


def is_blank(record: list[str]) -> bool:
    return not any(cell.strip() for cell in record)


def sniff(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Layout:
    """The layout of a stored file, from its first megabyte; DomainError when unusable."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        complete = not handle.read(1)
    _check_bytes(head)
    chosen = encoding or _guess_encoding(head, complete)
    if chosen == "utf-8" and head.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    text = head.decode(chosen, errors="replace" if not complete else "strict")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "[", "<"):
        raise _refuse(Code.NOT_CSV, "The file looks like JSON, XML or HTML, not CSV.")
    first_line = stripped.split("\n", 1)[0]
    sep = delimiter or _detect_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    skipped = 0
    header: list[str] | None = None
    try:
        for record in reader:
            skipped += 1
            if not is_blank(record):
                header = record
                break
    except csv.Error:
        header = None
    if header is None:
        raise _refuse(Code.MALFORMED_CSV, "The header row could not be read as CSV.")
    if complete:
        try:
            has_rows = any(not is_blank(r) for r in reader)
        except csv.Error:
            has_rows = True
        if not has_rows:
            raise _refuse(Code.NO_ROWS, "The file has a header row but no rows under it.")
    return Layout(chosen, sep, tuple(header), skipped)


@dataclass(frozen=True)
class Record:
    """One data record: its index after the header (1-based), and its cells or the reason the
    parser could not read it."""

    index: int
    cells: list[str] | None
    problem: str | None = None


def records(path: Path, layout: Layout, *, after: int = 0) -> Iterator[Record]:
    """Data records in file order, skipping the first `after` of them (a resume)."""
    with path.open("r", encoding=layout.encoding, newline="", errors="strict") as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter, strict=True)
        for _ in range(layout.header_records):
            next(reader, None)
        index = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                index += 1
                if index > after:
                    yield Record(index, None, _problem(exc))
                continue
            index += 1
            if index > after:
                yield Record(index, cells)


def _problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return "too_long"
    if "unexpected end of data" in text:
        return "unclosed_quote"
    return "malformed"


@dataclass(frozen=True)
class ScanResult:
    encoding: str
    records: int
    rows: int


class FileMalformed(Exception):
    def __init__(self, index: int) -> None:
        super().__init__("a quote is never closed")
        self.index = index


def scan(path: Path, layout: Layout, progress: Callable[[int], None] | None = None) -> ScanResult:
    """Read the whole file once: settle the encoding, count its rows, find a fatal problem.

    A file taken as UTF-8 from its first megabyte that turns out not to be is read as Latin-1
    from the start, so every row of one file is decoded the same way.
    """
    encodings = [layout.encoding]
    if layout.encoding == "utf-8":
        encodings.append("latin-1")
    for position, encoding in enumerate(encodings):
        current = Layout(encoding, layout.delimiter, layout.header, layout.header_records)
        try:
            return _count(path, current, progress)
        except UnicodeDecodeError:
            if position == len(encodings) - 1:
                raise _refuse(
                    Code.UNSUPPORTED_ENCODING, "The file is not valid text in UTF-8 or Latin-1."
                ) from None
    raise AssertionError("unreachable")


def _count(path: Path, layout: Layout, progress: Callable[[int], None] | None) -> ScanResult:
    total = 0
    rows = 0
    last: Record | None = None
    for record in records(path, layout):
        total += 1
        last = record
        if record.cells is None or not is_blank(record.cells):
            rows += 1
        if progress is not None and not total % 8192:
            progress(rows)
    if last is not None and last.problem == "unclosed_quote":
        raise FileMalformed(last.index)
    if rows == 0:
        raise _refuse(Code.NO_ROWS, "The file has a header row but no rows under it.")
    return ScanResult(layout.encoding, total, rows)
