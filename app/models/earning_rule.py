"""Earning rules: bonus points the program gives on an event (enrolment, an order, a profile
completed, a birthday...), and the award rows that make each rule pay at most once per event."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.customer import Customer
from app.models.order import Order
from app.models.organization import Organization
from app.models.persona import RoadmapItem


class EarningRuleKind(StrEnum):
    WELCOME = "WELCOME"
    FIRST_ORDER = "FIRST_ORDER"
    PROFILE_COMPLETED = "PROFILE_COMPLETED"
    ORDER_MULTIPLIER = "ORDER_MULTIPLIER"
    STREAK = "STREAK"
    MILESTONE = "MILESTONE"
    ANNIVERSARY = "ANNIVERSARY"
    BIRTHDAY = "BIRTHDAY"
    REFERRAL = "REFERRAL"


class EarningRuleStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class EarningRule(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    kind = fields.CharEnumField(EarningRuleKind, max_length=20)
    name = fields.CharField(max_length=120)
    status = fields.CharEnumField(EarningRuleStatus, max_length=10, default=EarningRuleStatus.DRAFT)
    # Fixed bonus points (every kind but ORDER_MULTIPLIER), or the multiplier of an order's
    # base points (ORDER_MULTIPLIER: 2 = double points, so the rule adds base x (2 - 1)).
    points: int | None = fields.IntField(null=True)
    multiplier = fields.DecimalField(max_digits=6, decimal_places=2, null=True)
    # Kind-specific conditions, validated by app/rules/conditions.py.
    conditions: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # A stored customer-list filter (app/customers/audience.py); empty: every customer.
    audience: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # The window, stored in UTC; entered in the organization's time zone. End exclusive.
    starts_at: dt.datetime | None = fields.DatetimeField(null=True)
    ends_at: dt.datetime | None = fields.DatetimeField(null=True)
    # Limits: how many times one customer may receive it, how many points it may give in all.
    per_customer_limit: int | None = fields.IntField(null=True)
    points_budget: int | None = fields.IntField(null=True)
    # Counters, kept by a conditional UPDATE in the awarding transaction (the budget check).
    points_awarded = fields.IntField(default=0)
    awards_count = fields.IntField(default=0)
    # Evaluation order within a kind: lower first, then id.
    priority = fields.IntField(default=0)
    created_by_id = fields.UUIDField(null=True)
    updated_by_id = fields.UUIDField(null=True)
    # The persona roadmap item this rule was applied from (app/campaigns/roadmap_apply.py; at
    # most one rule each).
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
        table = "earning_rule"
        indexes = (
            # The list by status, and the active rules an event evaluates.
            Index(fields=("organization_id", "status", "id")),
            Index(fields=("organization_id", "id")),
        )


class EarningRuleAward(Model):
    """One award of a rule to a customer for one event: (rule, event key) is unique, so a
    replayed order or a retried request never pays twice."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    rule: fields.ForeignKeyRelation[EarningRule] = fields.ForeignKeyField(
        "models.EarningRule", related_name=False, on_delete=fields.CASCADE
    )
    rule_id: object
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    customer_id: object
    event_key = fields.CharField(max_length=120)
    points = fields.IntField()
    # The order that triggered it, so a refund finds what to take back.
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    order_id: object
    # When the triggering event happened (a streak counts orders after the last award).
    event_at = fields.DatetimeField()
    reversed = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "earning_rule_award"
        unique_together = (("rule", "event_key"),)
        indexes = (
            Index(fields=("rule_id", "customer_id", "event_at")),
            Index(fields=("order_id",)),
        )
