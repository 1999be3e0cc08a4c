from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class ImportKind(StrEnum):
    CUSTOMERS = "CUSTOMERS"
    ORDERS = "ORDERS"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    # Finished, with some rows invalid or suppressed.
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ImportJob(Model):
    """One uploaded file and its processing. The row is the job's intent: a worker that dies
    resumes from `checkpoint_row`, which is committed with each batch of rows."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    kind = fields.CharEnumField(ImportKind, max_length=12)
    status = fields.CharEnumField(ImportStatus, max_length=12, default=ImportStatus.QUEUED)
    dry_run = fields.BooleanField(default=False)
    # Where the uploaded file is stored, relative to the data directory (or an object key).
    file_path = fields.CharField(max_length=500)
    file_name = fields.CharField(max_length=255)
    file_size = fields.BigIntField(default=0)
    file_sha256 = fields.CharField(max_length=64, default="")
    # Mapping, match keys, policy, SMS double opt-in schedule, encoding and delimiter, ...
    options: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    total_rows = fields.IntField(default=0)
    processed_rows = fields.IntField(default=0)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    unchanged_count = fields.IntField(default=0)
    invalid_count = fields.IntField(default=0)
    suppressed_count = fields.IntField(default=0)
    # Last data row (1-based, header excluded) whose effects are committed.
    checkpoint_row = fields.IntField(default=0)
    attempts = fields.IntField(default=0)
    cancel_requested = fields.BooleanField(default=False)
    error_code = fields.CharField(max_length=40, null=True)
    error_message = fields.CharField(max_length=500, null=True)
    created_by_id = fields.UUIDField(null=True)
    # A customers import whose double opt-in texts go out AT a time: when (the schedule in
    # `options` is what staff chose; this column is what the minute cron looks for).
    sms_send_at: dt.datetime | None = fields.DatetimeField(null=True)
    # When its double opt-in texts were asked for (the schedule fired): set once, after which
    # the schedule can no longer be changed.
    sms_started_at: dt.datetime | None = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at: dt.datetime | None = fields.DatetimeField(null=True)
    finished_at: dt.datetime | None = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "import_job"
        indexes = (
            Index(fields=("organization_id", "id")),
            # The sorts of the import history (app/imports/sorting.py).
            Index(fields=("organization_id", "created_at", "id")),
            Index(fields=("organization_id", "finished_at", "id")),
            Index(fields=("organization_id", "total_rows", "id")),
            # The minute cron: schedules not yet fired whose time has come.
            Index(fields=("sms_started_at", "sms_send_at")),
        )


class ImportRowError(Model):
    """Why one row of an import was not taken: row number, column, code, message (no values)."""

    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "models.ImportJob", related_name="row_errors", on_delete=fields.CASCADE
    )
    job_id: object
    row_number = fields.IntField()
    column = fields.CharField(max_length=100, null=True)
    code = fields.CharField(max_length=40)
    message = fields.CharField(max_length=300)

    class Meta:
        table = "import_row_error"
        indexes = (Index(fields=("job_id", "row_number")),)
