"""Privacy requests: an erasure, an export or an opt-out, asked for and carried out by a worker."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.customer import Customer
from app.models.organization import Organization


class PrivacyRequestKind(StrEnum):
    ERASE = "ERASE"
    EXPORT = "EXPORT"
    OPT_OUT = "OPT_OUT"


class PrivacyRequestStatus(StrEnum):
    RECEIVED = "RECEIVED"
    # The shopper proved control of the identifier (staff requests start verified).
    VERIFIED = "VERIFIED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class PrivacyRequestSource(StrEnum):
    STAFF = "STAFF"
    SHOPPER = "SHOPPER"
    OPERATOR = "OPERATOR"


class PrivacyRequest(Model):
    """One request. It holds no identifier in clear: the customer is linked by id, and an
    erased customer's row stays (anonymous), so the request keeps pointing at it."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    kind = fields.CharEnumField(PrivacyRequestKind, max_length=8)
    status = fields.CharEnumField(
        PrivacyRequestStatus, max_length=10, default=PrivacyRequestStatus.RECEIVED
    )
    source = fields.CharEnumField(PrivacyRequestSource, max_length=10)
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    customer_id: object
    requested_by_id = fields.UUIDField(null=True)
    reason = fields.CharField(max_length=500, default="")
    received_at = fields.DatetimeField()
    # The legal deadline: received_at plus the organization's allowance (30 days by default).
    due_at = fields.DatetimeField()
    verified_at: dt.datetime | None = fields.DatetimeField(null=True)
    started_at: dt.datetime | None = fields.DatetimeField(null=True)
    completed_at: dt.datetime | None = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    # How many times a sweep asked again for a request that a lost job left waiting.
    resends = fields.IntField(default=0)
    # Names of the steps done, in order (what support staff see happen).
    steps: fields.Field[list[str]] = fields.JSONField(default=list)
    error_code = fields.CharField(max_length=40, null=True)
    # Export: the file in the data directory, and the sha256 of the single-use link's token.
    export_file = fields.CharField(max_length=200, null=True)
    export_token_sha256 = fields.CharField(max_length=64, null=True, unique=True)
    export_expires_at: dt.datetime | None = fields.DatetimeField(null=True)
    export_downloaded_at: dt.datetime | None = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "privacy_request"
        indexes = (
            Index(fields=("organization_id", "status", "due_at")),
            Index(fields=("organization_id", "customer_id")),
            # The sorted list (app.privacy_requests.sorting).
            Index(fields=("organization_id", "received_at", "id")),
            Index(fields=("organization_id", "due_at", "id")),
            Index(fields=("organization_id", "completed_at", "id")),
        )
