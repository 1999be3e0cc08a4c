"""Reading files: encodings, delimiters, quoted newlines, and files that are not CSV at all."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from app.core.errors import DomainError
from app.imports.csvfile import FileMalformed, Layout, records, scan, sniff
from app.imports.errors import ImportErrorCode


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    return path


def refused(path: Path) -> ImportErrorCode:
    with pytest.raises(DomainError) as info:
        sniff(path)
    code = info.value.code
    assert isinstance(code, ImportErrorCode)
    return code


class TestEncoding:
    def test_utf8_with_and_without_bom(self, tmp_path: Path) -> None:
        text = "email,prénom\nann@example.com,Zoë\n"
        plain = sniff(write(tmp_path, text.encode()))
        assert (plain.encoding, plain.header) == ("utf-8", ("email", "prénom"))
        bom = sniff(write(tmp_path, codecs.BOM_UTF8 + text.encode()))
        assert (bom.encoding, bom.header) == ("utf-8-sig", ("email", "prénom"))
        cells = [r.cells for r in records(tmp_path / "file.csv", bom)]
        assert cells == [["ann@example.com", "Zoë"]]

    def test_latin1_fallback(self, tmp_path: Path) -> None:
        path = write(tmp_path, "email,prénom\nann@example.com,Zoë\n".encode("latin-1"))
        layout = sniff(path)
        assert layout.encoding == "latin-1"
        assert [r.cells for r in records(path, layout)] == [["ann@example.com", "Zoë"]]

    def test_invalid_utf8_late_in_the_file_makes_the_whole_file_latin1(
        self, tmp_path: Path
    ) -> None:
        head = "email,name\n" + "".join(f"u{i}@example.com,Zoë\n" for i in range(80_000))
        tail = "late@example.com,Andr\xe9\n".encode("latin-1")
        path = write(tmp_path, head.encode() + tail)
        layout = sniff(path)
        assert layout.encoding == "utf-8"  # the first megabyte is valid UTF-8
        result = scan(path, layout)
        assert (result.encoding, result.rows) == ("latin-1", 80_001)

    @pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE])
    def test_utf16_and_utf32_are_refused(self, tmp_path: Path, bom: bytes) -> None:
        assert refused(write(tmp_path, bom + "email\n".encode("utf-16-le"))) is (
            ImportErrorCode.UNSUPPORTED_ENCODING
        )

    def test_utf16_without_bom_is_refused(self, tmp_path: Path) -> None:
        content = "email,name\nann@example.com,Ann\n".encode("utf-16-le")
        assert refused(write(tmp_path, content)) is ImportErrorCode.UNSUPPORTED_ENCODING


class TestNotCsv:
    @pytest.mark.parametrize(
        "content",
        [
            b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40,  # an .xlsx workbook
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            b"%PDF-1.7\n%\xe2\xe3",
            b"\x1f\x8b\x08\x00" + b"\x00" * 20,
            b"email,name\nann@example.com,\x00\x01\x02\x03\n",
            b'{"customers": [{"email": "ann@example.com"}]}',
            b"<html><body>Not found</body></html>",
        ],
    )
    def test_is_refused(self, tmp_path: Path, content: bytes) -> None:
        assert refused(write(tmp_path, content)) is ImportErrorCode.NOT_CSV

    @pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", codecs.BOM_UTF8])
    def test_empty_file(self, tmp_path: Path, content: bytes) -> None:
        assert refused(write(tmp_path, content)) is ImportErrorCode.EMPTY_FILE

    def test_header_only(self, tmp_path: Path) -> None:
        assert refused(write(tmp_path, b"email,name\n\n,\n")) is ImportErrorCode.NO_ROWS


class TestLayout:
    @pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
    def test_delimiter_is_detected(self, tmp_path: Path, delimiter: str) -> None:
        text = delimiter.join(["email", "first name", "city"]) + "\n"
        text += delimiter.join(["ann@example.com", "Ann", '"Paris, 75001"']) + "\n"
        layout = sniff(write(tmp_path, text.encode()))
        assert layout.delimiter == delimiter
        assert [r.cells for r in records(tmp_path / "file.csv", layout)] == [
            ["ann@example.com", "Ann", "Paris, 75001"]
        ]

    def test_quoted_fields_hold_newlines_and_delimiters(self, tmp_path: Path) -> None:
        text = 'email,note\r\nann@example.com,"line one\r\nline, two"\r\nbob@example.com,x\r\n'
        path = write(tmp_path, text.encode())
        layout = sniff(path)
        got = [(r.index, r.cells) for r in records(path, layout)]
        assert got == [
            (1, ["ann@example.com", "line one\r\nline, two"]),
            (2, ["bob@example.com", "x"]),
        ]

    def test_blank_lines_above_the_header_are_skipped(self, tmp_path: Path) -> None:
        layout = sniff(write(tmp_path, b"\n\nemail\nann@example.com\n"))
        assert (layout.header, layout.header_records) == (("email",), 3)

    def test_records_resume_after_a_checkpoint(self, tmp_path: Path) -> None:
        text = "email\n" + "".join(f"u{i}@example.com\n" for i in range(10))
        path = write(tmp_path, text.encode())
        layout = sniff(path)
        assert [r.index for r in records(path, layout, after=7)] == [8, 9, 10]

    def test_a_malformed_record_is_reported_and_reading_goes_on(self, tmp_path: Path) -> None:
        path = write(tmp_path, b'email,name\n"a@example.com"x,Ann\nb@example.com,Bob\n')
        layout = Layout("utf-8", ",", ("email", "name"), 1)
        got = [(r.index, r.cells, r.problem) for r in records(path, layout)]
        assert got == [(1, None, "malformed"), (2, ["b@example.com", "Bob"], None)]

    def test_a_quote_never_closed_fails_the_scan(self, tmp_path: Path) -> None:
        path = write(tmp_path, b'email,name\na@example.com,Ann\nb@example.com,"Bob\nc@x.com,C\n')
        layout = sniff(path)
        with pytest.raises(FileMalformed) as info:
            scan(path, layout)
        assert info.value.index == 2

    def test_scan_counts_rows_not_blank_lines(self, tmp_path: Path) -> None:
        path = write(tmp_path, b"email\na@example.com\n\n,\nb@example.com\n")
        result = scan(path, sniff(path))
        assert (result.records, result.rows) == (4, 2)
