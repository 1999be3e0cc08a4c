from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization, SignupForm, Store


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    # Folded into a survivor; `merged_into` points at it. Identifiers move to aliases.
    MERGED = "MERGED"
    # Personal data removed on a privacy request; the row stays for accounting links.
    ERASED = "ERASED"


class FavoriteStoreSource(StrEnum):
    """Where the favorite store came from, by decreasing precedence."""

    WALLET_APP = "WALLET_APP"
    SIGNUP_FORM = "SIGNUP_FORM"
    IMPORT = "IMPORT"
    PURCHASE_HISTORY = "PURCHASE_HISTORY"


class SmsState(StrEnum):
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
    # Asked for, waiting for the shopper's YES to the double opt-in text.
    PENDING = "PENDING"
    SUBSCRIBED = "SUBSCRIBED"
    UNSUBSCRIBED = "UNSUBSCRIBED"


class LifecycleStage(StrEnum):
    MEMBER = "MEMBER"
    ONE_TIME_BUYER = "ONE_TIME_BUYER"
    ACTIVE = "ACTIVE"
    AT_RISK = "AT_RISK"
    LOST = "LOST"


class RfmSegment(StrEnum):
    CHAMPIONS = "CHAMPIONS"
    LOYAL = "LOYAL"
    POTENTIAL_LOYALIST = "POTENTIAL_LOYALIST"
    NEW = "NEW"
    PROMISING = "PROMISING"
    NEED_ATTENTION = "NEED_ATTENTION"
    ABOUT_TO_SLEEP = "ABOUT_TO_SLEEP"
    AT_RISK = "AT_RISK"
    CANNOT_LOSE_THEM = "CANNOT_LOSE_THEM"
    HIBERNATING = "HIBERNATING"
    LOST = "LOST"


class ChurnRisk(StrEnum):
    """The band of a customer's probability of still being active (app.predictions.churn)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Customer(Model):
    """One shopper of one organization."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="customers", on_delete=fields.CASCADE
    )
    organization_id: object
    status = fields.CharEnumField(CustomerStatus, max_length=16, default=CustomerStatus.ACTIVE)
    merged_into: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    merged_into_id: object

    # Identifiers, normalized; unique per organization. Merged and erased customers give
    # theirs up (to aliases or to nothing), so plain unique constraints hold among live ones.
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=20, null=True)
    external_reference = fields.CharField(max_length=128, null=True)

    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    # Case- and accent-folded copies of the names, indexed for prefix search.
    first_name_key = fields.CharField(max_length=100, default="")
    last_name_key = fields.CharField(max_length=100, default="")
    birthday: dt.date | None = fields.DateField(null=True)
    # month * 100 + day, so the daily birthday job finds today's birthdays through an index.
    birthday_monthday = fields.SmallIntField(null=True)

    city = fields.CharField(max_length=100, null=True)
    region = fields.CharField(max_length=100, null=True)
    postal_code = fields.CharField(max_length=20, null=True)
    country = fields.CharField(max_length=2, null=True)

    traits: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    signup_form: fields.ForeignKeyNullableRelation[SignupForm] = fields.ForeignKeyField(
        "models.SignupForm", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    signup_form_id: object
    loyalty_enrolled = fields.BooleanField(default=True)
    favorite_store: fields.ForeignKeyNullableRelation[Store] = fields.ForeignKeyField(
        "models.Store", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    favorite_store_id: object
    favorite_store_source: FavoriteStoreSource | None = fields.CharEnumField(  # type: ignore[assignment]
        FavoriteStoreSource, max_length=24, null=True
    )

    email_opt_in = fields.BooleanField(default=False)
    sms_state = fields.CharEnumField(SmsState, max_length=16, default=SmsState.NOT_SUBSCRIBED)
    # Only the shopper's own device grants push; staff can read it, never set it.
    push_opt_in = fields.BooleanField(default=False)

    referred_by: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    referred_by_id: object

    # Wallet: a cache of the ledger, written in the same transaction as each entry.
    points_balance = fields.IntField(default=0)
    # Net points earned (EARN minus refunded EARN): what tiers are based on.
    lifetime_points = fields.IntField(default=0)

    # Purchase statistics, kept with each order and refund; lifecycle and RFM read them.
    order_count = fields.IntField(default=0)
    total_spent = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    first_order_at = fields.DatetimeField(null=True)
    last_order_at = fields.DatetimeField(null=True)
    lifecycle_stage = fields.CharEnumField(
        LifecycleStage, max_length=16, default=LifecycleStage.MEMBER
    )
    rfm_recency = fields.SmallIntField(null=True)
    rfm_frequency = fields.SmallIntField(null=True)
    rfm_monetary = fields.SmallIntField(null=True)
    rfm_segment: RfmSegment | None = fields.CharEnumField(  # type: ignore[assignment]
        RfmSegment, max_length=20, null=True
    )

    # Predictions (app.predictions), written in bulk by each refit of the organization's model,
    # measured to the model's "as of" moment; NULL for customers without a completed order
    # then, or when the organization has no model. The purchase history the model saw (repeat
    # purchase days, days from the first to the last purchase day, days from the first purchase
    # day to the model's as-of day) is kept so that other horizons can be computed on the fly.
    churn_risk: ChurnRisk | None = fields.CharEnumField(  # type: ignore[assignment]
        ChurnRisk, max_length=8, null=True
    )
    predicted_probability_alive = fields.DecimalField(max_digits=7, decimal_places=6, null=True)
    predicted_orders_90d = fields.DecimalField(max_digits=12, decimal_places=4, null=True)
    predicted_spend_365d = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    prediction_frequency = fields.IntField(null=True)
    prediction_recency_days = fields.IntField(null=True)
    prediction_age_days = fields.IntField(null=True)
    # Mean value of the repeat purchase days (NULL without a repeat purchase).
    prediction_monetary_mean = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    predicted_at = fields.DatetimeField(null=True)

    # One of its identifiers is on the privacy blocklist: hidden from every path
    # (app.customers.repository.visibility), set when the identifier is blocked.
    blocked = fields.BooleanField(default=False, db_default=False)
    archived_at = fields.DatetimeField(null=True)
    archive_reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer"
        unique_together = (
            ("organization", "email"),
            ("organization", "phone"),
            ("organization", "external_reference"),
        )
        indexes = (
            # Name prefix search, and the LAST_NAME sort (the id breaks ties).
            Index(fields=("organization_id", "last_name_key", "id")),
            Index(fields=("organization_id", "first_name_key")),
            Index(fields=("organization_id", "status", "id")),
            Index(fields=("organization_id", "lifecycle_stage")),
            Index(fields=("organization_id", "rfm_segment")),
            Index(fields=("organization_id", "referred_by_id")),
            Index(fields=("birthday_monthday",)),
            # The other sorts of the customer list (app/customers/sorting.py).
            Index(fields=("organization_id", "last_order_at", "id")),
            Index(fields=("organization_id", "total_spent", "id")),
            Index(fields=("organization_id", "order_count", "id")),
            Index(fields=("organization_id", "points_balance", "id")),
            Index(fields=("organization_id", "created_at", "id")),
            # The prediction filter and sorts (app/customers/sorting.py).
            Index(fields=("organization_id", "churn_risk")),
            Index(fields=("organization_id", "predicted_spend_365d", "id")),
            Index(fields=("organization_id", "predicted_probability_alive", "id")),
        )
