"""Logging: JSON lines in production (one field per fact), text for people in development.

Every record carries the current request's id, organization id and GraphQL operation name
when it is logged while serving a request (app.request_context). Nothing else of a request
is added: messages and `extra` fields are written by our code and hold no personal data, and
of an exception only its type and where it was raised are written, never its message, which
could quote a value.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from types import TracebackType
from typing import Any

from app.config import Settings
from app.request_context import current_request

# Attributes every LogRecord has; anything else on a record came from `extra=`. Uvicorn
# adds `color_message`, its message again with terminal colour codes.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _request_fields() -> dict[str, str]:
    info = current_request()
    if info is None:
        return {}
    fields = {"request_id": info.request_id}
    if info.organization_id is not None:
        fields["organization_id"] = info.organization_id
    if info.operation is not None:
        fields["operation"] = info.operation
    return fields


def _frames(tb: TracebackType | None) -> list[str]:
    """Where an exception went, innermost last; without source lines, which can hold
    literals."""
    return [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(tb)[-8:]]


def _exception_fields(record: logging.LogRecord) -> dict[str, Any]:
    if not record.exc_info or record.exc_info[0] is None:
        return {}
    kind, _, tb = record.exc_info
    return {"exc_type": kind.__name__, "exc_frames": _frames(tb)}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_fields())
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        entry.update(_exception_fields(record))
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the request id and extra fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _request_fields()
        fields.update(
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k not in fields}
        )
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return line

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        # The type and the frames, as in JSON: an exception message can quote a value.
        kind, _, tb = ei
        frames = "".join(f"  {frame}\n" for frame in _frames(tb))
        return f"Traceback (most recent call last):\n{frames}{kind.__name__}"


def formatter_for(settings: Settings) -> logging.Formatter:
    return JsonFormatter() if settings.json_logs else TextFormatter()


# Database clients log every statement with its parameters at DEBUG: emails, phone numbers,
# message bodies. They are never let below INFO, whatever the configured level.
STATEMENT_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")


def quiet_statement_loggers() -> None:
    for name in STATEMENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def configure_logging(settings: Settings) -> None:
    """One handler on the root logger; uvicorn's and arq's loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(settings))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    quiet_statement_loggers()
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
