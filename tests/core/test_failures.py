"""Transient database errors are told apart; failures are logged without their message."""

from __future__ import annotations

import logging
import sqlite3

import asyncpg
import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from app.core.db_errors import is_transient
from app.core.failures import failing_frame, log_failure


def _raise_with_secret() -> None:
    raise ValueError("ada@example.com collided")


def test_deadlocks_serialization_failures_and_a_busy_sqlite_are_transient() -> None:
    assert is_transient(asyncpg.DeadlockDetectedError("deadlock detected"))
    assert is_transient(asyncpg.SerializationError("could not serialize access"))
    assert is_transient(OperationalError("database is locked"))
    wrapped = OperationalError("wrapped")
    wrapped.__cause__ = sqlite3.OperationalError("database is locked")
    assert not is_transient(wrapped)  # the sqlite3 error itself is not a Tortoise error...
    wrapped.__cause__ = OperationalError("database is locked")
    assert is_transient(wrapped)  # ...but a chained Tortoise one is found


def test_other_errors_are_not_transient() -> None:
    assert not is_transient(IntegrityError("duplicate key"))
    assert not is_transient(OperationalError("no such table: customer"))
    assert not is_transient(ValueError("database is locked"))


async def test_a_real_syntax_error_is_not_transient() -> None:
    with pytest.raises(OperationalError) as caught:
        await connections.get("default").execute_query("SELEC 1")
    assert not is_transient(caught.value)


def test_the_failing_frame_is_the_innermost_one() -> None:
    try:
        _raise_with_secret()
    except ValueError as exc:
        where = failing_frame(exc)
    assert where.endswith(f"test_failures.py:{_raise_with_secret.__code__.co_firstlineno + 1}")
    assert failing_frame(ValueError("never raised")) == "?"


def test_log_failure_keeps_the_message_out(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.failures")
    try:
        _raise_with_secret()
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, "tests.failures"):
            log_failure(logger, "import failed", exc, job="j-1")
    (record,) = caplog.records
    text = record.getMessage()
    assert text.startswith("import failed job=j-1 type=ValueError at=")
    assert "test_failures.py" in text
    assert "ada@example.com" not in text
