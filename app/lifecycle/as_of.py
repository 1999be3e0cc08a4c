"""The "as of" moment lifecycle, RFM and personas are measured to: read from a command line
or a job argument, and checked. Pure; the services call it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from app.core.clock import utcnow
from app.core.errors import DomainError
from app.lifecycle.errors import SegmentErrorCode


def check_as_of(
    as_of: dt.datetime | None,
    field: str = "asOf",
    code: StrEnum = SegmentErrorCode.AS_OF_IN_FUTURE,
) -> dt.datetime | None:
    """An "as of" moment as lifecycle, RFM and personas use it (UTC; without an offset it is
    UTC), refused with `code` when it lies in the future."""
    if as_of is None:
        return None
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    if as_of > utcnow():
        raise DomainError(
            code,
            "The moment to measure to must not be in the future.",
            field,
        )
    return as_of.astimezone(dt.UTC)


def parse_as_of(value: str | None) -> dt.datetime | None:
    """The moment a job or a command line names: ISO 8601; a date or a time without an
    offset is UTC. Raises ValueError on anything else."""
    if value is None or not value.strip():
        return None
    moment = dt.datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
