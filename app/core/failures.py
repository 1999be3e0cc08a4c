"""Logging an unexpected exception without its message.

Messages of database and validation errors can carry the values involved (an email that
collided, a name that was too long), so logs get the exception's type and the file and line
where it was raised, never `str(exc)` and never a formatted traceback.
"""

from __future__ import annotations

import logging


def failing_frame(exc: BaseException) -> str:
    """`path:line` of the innermost frame of the exception's traceback, or `?`."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def log_failure(logger: logging.Logger, event: str, exc: BaseException, **facts: object) -> None:
    """One error line: the event, the given facts (ids, never personal data), type and place."""
    details = " ".join(f"{key}={value}" for key, value in facts.items())
    logger.error(
        "%s%s type=%s at=%s",
        event,
        f" {details}" if details else "",
        type(exc).__name__,
        failing_frame(exc),
    )
