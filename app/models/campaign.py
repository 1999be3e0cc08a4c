"""One-off campaigns: credit an audience of customers once, run by a worker."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization
from app.models.persona import RoadmapItem


class CampaignStatus(StrEnum):
    # Being written: editable, nothing will run.
    DRAFT = "DRAFT"
    # Will run at `scheduled_at`; still editable and cancellable.
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class Campaign(Model):
    """The campaign row is the job's intent: a worker crediting it records its progress here
    (`cursor`, counts, heartbeat) in the transaction of each batch, so a run killed at any
    point resumes where its last batch committed."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    name = fields.CharField(max_length=120)
    # A customer-list filter (app.customers.audience), as JSON.
    audience: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    points = fields.IntField()
    reason = fields.CharField(max_length=200)
    status = fields.CharEnumField(CampaignStatus, max_length=12, default=CampaignStatus.DRAFT)
    scheduled_at: dt.datetime | None = fields.DatetimeField(null=True)
    # The audience is the customers that existed when the run started: ids up to this one
    # (ids are time-ordered), so a run resumed later credits the same set.
    audience_until: uuid.UUID | None = fields.UUIDField(null=True)
    audience_size = fields.IntField(null=True)
    credited_count = fields.IntField(default=0)
    points_credited = fields.BigIntField(default=0)
    # The last customer id of the last committed batch (customers are credited in id order).
    cursor: uuid.UUID | None = fields.UUIDField(null=True)
    attempts = fields.IntField(default=0)
    heartbeat_at: dt.datetime | None = fields.DatetimeField(null=True)
    started_at: dt.datetime | None = fields.DatetimeField(null=True)
    completed_at: dt.datetime | None = fields.DatetimeField(null=True)
    cancelled_at: dt.datetime | None = fields.DatetimeField(null=True)
    error_code = fields.CharField(max_length=40, null=True)
    created_by_id = fields.UUIDField(null=True)
    # The persona roadmap item this campaign was applied from (at most one campaign each).
    source_roadmap_item: fields.ForeignKeyNullableRelation[RoadmapItem] = fields.ForeignKeyField(
        "models.RoadmapItem",
        related_name=False,
        null=True,
        unique=True,
        on_delete=fields.SET_NULL,
    )
    source_roadmap_item_id: object
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaign"
        indexes = (
            # The list (newest first, by status) and the sweep of due and running campaigns.
            Index(fields=("organization_id", "status", "id")),
            Index(fields=("status", "scheduled_at")),
        )
