"""The README's shell examples run, in order, against a real service started here.

Every ```sh block of README.md runs in one bash session (so a variable set from an earlier
output is there for the next block) against `loyalty run` (API and worker in one process,
embedded Redis, a fresh data directory, a free port). A block preceded by the comment
`<!-- readme-test: skip -->` is left out (servers, production, Docker). When a block is followed
by a ```json block, that is the output the reader is promised: the block's output must have the
same shape (same keys, empty lists where it shows one, null where it shows null) and the same
enum values and booleans; ids, tokens, times and figures may differ. A failure names the block.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LOYALTY = ROOT / ".venv" / "bin" / "loyalty"
SKIP_MARKER = "<!-- readme-test: skip -->"
SHELL_LANGUAGES = {"sh", "bash"}
# Upper-case words are enum values and error codes: the output must repeat them exactly.
ENUM = re.compile(r"^[A-Z][A-Z0-9_]+$")
BLOCK_SEPARATOR = "@@readme-block {}@@"
SERVICE_START_SECONDS = 120.0  # a loaded 2-core machine takes ~20 s
RUN_SECONDS = 240.0


@dataclass
class Block:
    number: int
    line: int  # of the opening fence, 1-based, as an editor shows it
    code: str
    expected: list[Any] | None  # the JSON documents shown right after it, if any

    def name(self) -> str:
        first = next((ln for ln in self.code.splitlines() if ln.strip()), "")
        return f"README block {self.number} (line {self.line}: {first.strip()[:60]!r})"


def json_documents(text: str) -> list[Any]:
    """The JSON documents written one after another in `text` (a loop may print several)."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return documents
        document, position = decoder.raw_decode(text, position)
        documents.append(document)


def fenced_blocks(text: str) -> list[tuple[int, str, str, bool]]:
    """(line, language, code, skipped) of every fenced block, in order."""
    blocks: list[tuple[int, str, str, bool]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("```"):
            index += 1
            continue
        language = line[3:].strip().split(" ")[0]
        previous = next((ln for ln in reversed(lines[:index]) if ln.strip()), "")
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        blocks.append((start + 1, language, "\n".join(body), previous.strip() == SKIP_MARKER))
        index += 1
    return blocks


def runnable_blocks(text: str) -> list[Block]:
    fenced = fenced_blocks(text)
    out: list[Block] = []
    for position, (line, language, code, skipped) in enumerate(fenced):
        if language not in SHELL_LANGUAGES or skipped:
            continue
        expected = None
        following = fenced[position + 1] if position + 1 < len(fenced) else None
        if following is not None and following[1] == "json":
            expected = json_documents(following[2])
        out.append(Block(len(out) + 1, line, code, expected))
    return out


def shape_mismatch(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where `actual` departs from the shape `expected` promises, or None."""
    if expected is None or isinstance(expected, bool):
        return None if actual == expected else f"{path}: expected {expected!r}, got {actual!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        if set(expected) != set(actual):
            return f"{path}: expected keys {sorted(expected)}, got {sorted(actual)}"
        for key, value in expected.items():
            found = shape_mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {actual!r}"
        if not expected:
            return None if not actual else f"{path}: expected an empty list, got {actual!r}"
        if not actual:
            return f"{path}: expected a non-empty list, got []"
        # Each item must take the shape of one of the items shown (a list may show, say, a
        # persona with motivations and one without).
        for n, item in enumerate(actual):
            misses = [shape_mismatch(shown, item, f"{path}[{n}]") for shown in expected]
            if all(misses):
                return misses[0]
        return None
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return f"{path}: expected a string, got {actual!r}"
        if ENUM.match(expected) and actual != expected:
            return f"{path}: expected {expected!r}, got {actual!r}"
        return None
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return f"{path}: expected a number, got {actual!r}"
    return None


def documents_mismatch(shown: list[Any], printed: list[Any]) -> str | None:
    """Several documents printed by one block are compared in order."""
    if len(printed) != len(shown):
        return f"expected {len(shown)} JSON documents, got {len(printed)}"
    for n, (expected, actual) in enumerate(zip(shown, printed, strict=True), 1):
        found = shape_mismatch(expected, actual, f"document {n}")
        if found:
            return found
    return None


def script_of(blocks: list[Block]) -> str:
    parts = [
        "set -eo pipefail",
        "README_BLOCK=0",
        "trap 'echo \"failed in block $README_BLOCK\" >&2' ERR",
    ]
    for block in blocks:
        parts.append(f"README_BLOCK={block.number}")
        parts.append(f"printf '\\n%s\\n' '{BLOCK_SEPARATOR.format(block.number)}'")
        parts.append(block.code)
    return "\n".join(parts) + "\n"


def outputs_by_block(stdout: str, count: int) -> dict[int, str]:
    outputs: dict[int, str] = {}
    for number in range(count, 0, -1):
        stdout, found, after = stdout.partition(f"\n{BLOCK_SEPARATOR.format(number)}\n")
        if found:
            outputs[number] = after
    return outputs


def service_environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOYALTY_") and k not in {"DATABASE_URL", "REDIS_URL", "API"}
    }
    env["LOYALTY_DATA_DIR"] = str(data_dir)
    # The SMS section restarts the service with these to try the inbound webhook; here the
    # service has them from the start (nothing before that section depends on their absence).
    env["LOYALTY_TWILIO_AUTH_TOKEN"] = "dev-token"
    env["LOYALTY_SMS_FROM"] = "+15005550006"
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def start_service(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`loyalty run` on port 0; the address is read from Uvicorn's start line."""
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - a fixed command of this project
            [str(LOYALTY), "run", "--host", "127.0.0.1", "--port", "0"],
            env={**env, "LOYALTY_LOG_LEVEL": "INFO"},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + SERVICE_START_SECONDS
    address = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`loyalty run` exited:\n{log.read_text(errors='replace')}")
        found = address.search(log.read_text(errors="replace"))
        if found:
            base = found.group(1)
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"`loyalty run` not ready:\n{log.read_text(errors='replace')}")


def stop_service(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_readme_shell_examples_run_in_order(
    tmp_path: Path, backend: str, database_url: str
) -> None:
    assert LOYALTY.exists(), "run `make .venv/.installed` first: the README calls .venv/bin/loyalty"
    blocks = runnable_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 10, "the README lost its examples"
    # The examples' relative paths (.venv/bin/loyalty, examples/) resolve from a scratch
    # directory, so the files they write land there and not in the checkout.
    work = tmp_path / "work"
    work.mkdir()
    for name in (".venv", "examples"):
        (work / name).symlink_to(ROOT / name)
    env = service_environment(tmp_path / "data", database_url if backend == "postgres" else None)
    process, base = start_service(env, tmp_path / "service.log")
    try:
        ran = subprocess.run(  # noqa: S603 - the README's own examples
            ["bash", "-c", script_of(blocks)],  # noqa: S607 - bash from PATH, as a reader runs it
            cwd=work,
            env={**env, "API": base},
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
    finally:
        stop_service(process)
    outputs = outputs_by_block(ran.stdout, len(blocks))
    if ran.returncode != 0:
        failed = re.findall(r"failed in block (\d+)", ran.stderr)
        number = int(failed[-1]) if failed else max(outputs, default=1)
        block = blocks[number - 1]
        pytest.fail(
            f"{block.name()} failed (exit {ran.returncode}).\n"
            f"output:\n{outputs.get(number, '')}\nstderr:\n{ran.stderr[-3000:]}"
        )
    for block in blocks:
        if block.expected is None:
            continue
        output = outputs.get(block.number, "")
        try:
            actual = json_documents(output)
        except json.JSONDecodeError:
            pytest.fail(f"{block.name()} printed something else than JSON:\n{output[:2000]}")
        mismatch = documents_mismatch(block.expected, actual)
        assert mismatch is None, f"{block.name()}: {mismatch}\noutput:\n{output[:2000]}"


def test_shape_check_catches_what_breaks_an_example() -> None:
    shown = {
        "data": {"customerCreate": {"customer": {"id": "x", "status": "ACTIVE"}, "errors": []}}
    }
    same = {"data": {"customerCreate": {"customer": {"id": "y", "status": "ACTIVE"}, "errors": []}}}
    assert shape_mismatch(shown, same) is None
    refused = {
        "data": {"customerCreate": {"customer": None, "errors": [{"code": "DUPLICATE_EMAIL"}]}}
    }
    assert "expected an object" in (shape_mismatch(shown, refused) or "")
    archived = {
        "data": {"customerCreate": {"customer": {"id": "y", "status": "ARCHIVED"}, "errors": []}}
    }
    assert "'ACTIVE'" in (shape_mismatch(shown, archived) or "")
    assert shape_mismatch({"data": None, "errors": [{"message": "m"}]}, {"data": {}}) is not None
    assert shape_mismatch({"n": 1}, {"n": "1"}) is not None


def test_blocks_marked_skip_are_left_out() -> None:
    text = "\n".join(
        [
            "```sh",
            "echo run",
            "```",
            "",
            SKIP_MARKER,
            "```sh",
            "make run",
            "```",
            "```json",
            "{}",
            "```",
        ]
    )
    blocks = runnable_blocks(text)
    assert [b.code for b in blocks] == ["echo run"]
    assert blocks[0].expected is None
