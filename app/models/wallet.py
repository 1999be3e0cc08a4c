from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.audit import ActorKind
from app.models.campaign import Campaign
from app.models.customer import Customer
from app.models.earning_rule import EarningRule
from app.models.order import Order
from app.models.organization import Organization


class LedgerKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    ADJUST = "ADJUST"
    EXPIRE = "EXPIRE"
    # Reverses the EARN of a refunded or voided order.
    REFUND = "REFUND"
    MERGE_IN = "MERGE_IN"
    MERGE_OUT = "MERGE_OUT"
    UNMERGE = "UNMERGE"
    ERASE = "ERASE"


class LedgerEntry(Model):
    """One append-only points movement. The wallet balance is the sum of `points`."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="ledger_entries", on_delete=fields.CASCADE
    )
    customer_id: object
    kind = fields.CharEnumField(LedgerKind, max_length=12)
    # Signed: credits are positive, debits negative.
    points = fields.IntField()
    reason = fields.CharField(max_length=200)
    actor_kind = fields.CharEnumField(ActorKind, max_length=16)
    actor_id = fields.UUIDField(null=True)
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="ledger_entries", null=True, on_delete=fields.SET_NULL
    )
    order_id: object
    # The campaign that credited this entry (null for every other entry).
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    campaign_id: object
    # The earning rule that gave (or, on a refund, took back) these points; null otherwise.
    earning_rule: fields.ForeignKeyNullableRelation[EarningRule] = fields.ForeignKeyField(
        "models.EarningRule", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    earning_rule_id: object
    # A client retry with the same key returns this entry instead of writing another.
    idempotency_key = fields.CharField(max_length=200, null=True)
    # Credits only: when the lot expires and how much of it is still unspent (FIFO).
    expires_at: dt.datetime | None = fields.DatetimeField(null=True)
    remaining = fields.IntField(default=0)
    # The wallet balance right after this entry, so a replayed request returns the first result.
    balance_after = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entry"
        unique_together = (("organization", "idempotency_key"),)
        indexes = (
            Index(fields=("customer_id", "id")),
            Index(fields=("customer_id", "expires_at")),
            Index(fields=("expires_at", "remaining")),
            Index(fields=("order_id",)),
            # The finance figures: the monthly ledger summary and points expiring soon.
            Index(fields=("organization_id", "created_at")),
            Index(fields=("organization_id", "expires_at")),
        )
