"""What staff choose for one import, stored on the job (`ImportJob.options`) as JSON.

The job row is the intent of the work: everything a worker needs to run (or resume) the job is
here or in the stored file, never in the arq job arguments (which carry only the job id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from app.core.errors import DomainError
from app.imports.errors import ImportErrorCode as Code


class ImportPolicy(StrEnum):
    # Only new customers are written; rows matching an existing one leave it as it is.
    CREATE_ONLY = "CREATE_ONLY"
    # New customers are created, matching ones updated with the non-empty cells of the row.
    UPSERT = "UPSERT"


class MatchKey(StrEnum):
    EXTERNAL_REFERENCE = "EXTERNAL_REFERENCE"
    EMAIL = "EMAIL"
    PHONE = "PHONE"


class SmsDoubleOptIn(StrEnum):
    """When the "reply YES" texts go out to customers an import put in SMS `PENDING`."""

    NEVER = "NEVER"
    IMMEDIATELY = "IMMEDIATELY"
    AT = "AT"


class DateOrder(StrEnum):
    """How to read slashed dates such as 04/05/1990. ISO dates (1990-05-04) always work."""

    MDY = "MDY"
    DMY = "DMY"
    YMD = "YMD"


DEFAULT_MATCH_KEYS = (MatchKey.EXTERNAL_REFERENCE, MatchKey.EMAIL, MatchKey.PHONE)
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "latin-1")
MIN_BATCH, MAX_BATCH = 10, 50_000
MAX_THROTTLE_MS = 60_000
MAX_SMS_DELAY = dt.timedelta(days=366)
# Regions that write dates month first; elsewhere day first.
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "GU", "AS", "MP", "PR", "VI"})


def default_date_order(region: str) -> DateOrder:
    return DateOrder.MDY if region.upper() in MONTH_FIRST_REGIONS else DateOrder.DMY


@dataclass(frozen=True)
class SmsSchedule:
    send: SmsDoubleOptIn = SmsDoubleOptIn.NEVER
    at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"send": self.send.value, "at": self.at.isoformat() if self.at else None}

    @property
    def due_at(self) -> dt.datetime | None:
        """When an AT schedule is due (None for NEVER and IMMEDIATELY)."""
        return self.at if self.send is SmsDoubleOptIn.AT else None

    def validated(self, now: dt.datetime, field: str = "at") -> SmsSchedule:
        """Self with `at` made aware (UTC when given without a zone), or a DomainError: AT
        needs a time in the future within a year; NEVER and IMMEDIATELY take none."""
        if self.send is not SmsDoubleOptIn.AT:
            if self.at is not None:
                raise DomainError(Code.INVALID_OPTION, "A time is only given with AT.", field)
            return self
        if self.at is None:
            raise DomainError(Code.INVALID_OPTION, "Give the time the texts go out.", field)
        # Stored and compared in UTC (SQLite compares the stored text).
        at = self.at.astimezone(dt.UTC) if self.at.tzinfo else self.at.replace(tzinfo=dt.UTC)
        if at <= now:
            raise DomainError(Code.SMS_TIME_PASSED, "The time must be in the future.", field)
        if at > now + MAX_SMS_DELAY:
            raise DomainError(Code.INVALID_OPTION, "The time must be within a year.", field)
        return SmsSchedule(self.send, at)

    @classmethod
    def from_json(cls, raw: Any) -> SmsSchedule:
        if not isinstance(raw, dict):
            return cls()
        at = raw.get("at")
        return cls(
            SmsDoubleOptIn(raw.get("send", SmsDoubleOptIn.NEVER.value)),
            dt.datetime.fromisoformat(at) if isinstance(at, str) else None,
        )


@dataclass(frozen=True)
class ImportOptions:
    # Explicit column -> field choices; a None field ignores the column. Other columns are
    # mapped automatically from their header.
    mapping: tuple[tuple[str, str | None], ...] = ()
    match_keys: tuple[MatchKey, ...] = DEFAULT_MATCH_KEYS
    policy: ImportPolicy = ImportPolicy.UPSERT
    sms_double_opt_in: SmsSchedule = field(default_factory=SmsSchedule)
    # Columns no field claims become traits (keyed by their header) instead of being ignored.
    unmapped_as_traits: bool = False
    # Orders: earn points by the program's rule, as recording the order at the till would.
    award_points: bool = False
    date_order: DateOrder | None = None
    # Advanced: rows per committed batch (None: sized automatically), a pause between
    # batches to spare the database, and overrides of the detected layout.
    batch_size: int | None = None
    throttle_ms: int = 0
    delimiter: str | None = None
    encoding: str | None = None

    def validated(self, now: dt.datetime) -> ImportOptions:
        """Self, or a DomainError naming the first option that cannot be honoured."""
        if not self.match_keys:
            raise DomainError(Code.INVALID_OPTION, "Give at least one match key.", "matchKey")
        if len(set(self.match_keys)) != len(self.match_keys):
            raise DomainError(Code.INVALID_OPTION, "A match key is repeated.", "matchKey")
        sms = self.sms_double_opt_in.validated(now, "smsDoubleOptIn.at")
        if self.batch_size is not None and not MIN_BATCH <= self.batch_size <= MAX_BATCH:
            raise DomainError(
                Code.INVALID_OPTION,
                f"The batch size must be between {MIN_BATCH} and {MAX_BATCH}.",
                "batchSize",
            )
        if not 0 <= self.throttle_ms <= MAX_THROTTLE_MS:
            raise DomainError(
                Code.INVALID_OPTION, "The pause must be between 0 and 60000 ms.", "throttleMs"
            )
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            raise DomainError(
                Code.INVALID_OPTION, "The delimiter must be , ; | or a tab.", "delimiter"
            )
        if self.encoding is not None and self.encoding not in ENCODINGS:
            raise DomainError(
                Code.INVALID_OPTION, "The encoding must be utf-8 or latin-1.", "encoding"
            )
        seen: set[str] = set()
        for column, _ in self.mapping:
            if column in seen:
                raise DomainError(Code.INVALID_OPTION, "A column is mapped twice.", "mapping")
            seen.add(column)
        return replace(self, sms_double_opt_in=sms)

    def to_json(self) -> dict[str, Any]:
        return {
            "mapping": [[column, target] for column, target in self.mapping],
            "match_keys": [k.value for k in self.match_keys],
            "policy": self.policy.value,
            "sms_double_opt_in": self.sms_double_opt_in.to_json(),
            "unmapped_as_traits": self.unmapped_as_traits,
            "award_points": self.award_points,
            "date_order": self.date_order.value if self.date_order else None,
            "batch_size": self.batch_size,
            "throttle_ms": self.throttle_ms,
            "delimiter": self.delimiter,
            "encoding": self.encoding,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ImportOptions:
        base = cls()
        date_order = raw.get("date_order")
        return cls(
            mapping=tuple(
                (str(c), None if t is None else str(t)) for c, t in raw.get("mapping", [])
            ),
            match_keys=tuple(MatchKey(k) for k in raw.get("match_keys", base.match_keys)),
            policy=ImportPolicy(raw.get("policy", base.policy.value)),
            sms_double_opt_in=SmsSchedule.from_json(raw.get("sms_double_opt_in")),
            unmapped_as_traits=bool(raw.get("unmapped_as_traits", False)),
            award_points=bool(raw.get("award_points", False)),
            date_order=DateOrder(date_order) if date_order else None,
            batch_size=raw.get("batch_size"),
            throttle_ms=int(raw.get("throttle_ms", 0)),
            delimiter=raw.get("delimiter"),
            encoding=raw.get("encoding"),
        )
