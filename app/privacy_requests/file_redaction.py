"""Blanking an erased person's rows in an uploaded file that is still waiting to be imported.

An import's file is deleted when its job ends, so only queued or running jobs still hold one.
A row that names the person (their email, phone in any format, or external reference) becomes a
row of empty cells: the row count stays, so a running job's checkpoint still points at the
same rows, and the blank row is then skipped as a row without an identifier.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_NOT_DIGIT = re.compile(r"\D")
# Fewer digits than this can be a quantity or a price, not a phone.
_MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Needles:
    """What marks a row as the person's: lower-cased texts, and phones as digits."""

    texts: tuple[str, ...]
    phone_digits: tuple[str, ...]

    @classmethod
    def of(cls, texts: Sequence[str], phones: Sequence[str]) -> Needles:
        return cls(
            tuple(t.lower() for t in texts if t),
            tuple(_NOT_DIGIT.sub("", p) for p in phones if p),
        )

    def match(self, cell: str) -> bool:
        lowered = cell.strip().lower()
        if lowered and any(t == lowered or (("@" in t) and t in lowered) for t in self.texts):
            return True
        digits = _NOT_DIGIT.sub("", cell)
        if len(digits) < _MIN_PHONE_DIGITS:
            return False
        # "+1 (202) 555-0143", "2025550143" and "12025550143" all end the E.164 digits.
        return any(p.endswith(digits) for p in self.phone_digits)


def redact_file(path: Path, needles: Needles) -> int:
    """Blank the matching rows of `path` in place (atomically); how many were blanked."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    # surrogateescape keeps bytes of any encoding as they were through the round trip.
    text = raw.decode("utf-8", errors="surrogateescape")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if "\r\n" in text[:65536] else "\n")
    blanked = 0
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        # A file the importer cannot read either: it will fail as MALFORMED_CSV; drop its
        # matching lines rather than leave the person in it.
        return _redact_lines(path, raw, needles)
    for number, row in enumerate(rows):
        if number > 0 and any(needles.match(cell) for cell in row):
            row = [""] * len(row)
            blanked += 1
        writer.writerow(row)
    if blanked:
        _replace(path, out.getvalue().encode("utf-8", errors="surrogateescape"))
    return blanked


def _redact_lines(path: Path, raw: bytes, needles: Needles) -> int:
    lines = raw.split(b"\n")
    kept = [
        line
        for line in lines
        if not any(needles.match(c) for c in line.decode("utf-8", "replace").split(","))
    ]
    if len(kept) != len(lines):
        _replace(path, b"\n".join(kept))
    return len(lines) - len(kept)


def _replace(path: Path, content: bytes) -> None:
    partial = path.with_suffix(".redacting")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    partial.replace(path)
