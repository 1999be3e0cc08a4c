from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.customer import Customer
from app.models.organization import Organization


class ConsentChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"


class ConsentSource(StrEnum):
    STAFF = "STAFF"
    API = "API"
    IMPORT = "IMPORT"
    SIGNUP_FORM = "SIGNUP_FORM"
    SMS_REPLY = "SMS_REPLY"
    SHOPPER = "SHOPPER"
    # The provider reported the number opted out at the carrier (Twilio 21610).
    CARRIER = "CARRIER"
    # A PENDING SMS request unanswered for 30 days lapsed to NOT_SUBSCRIBED.
    LAPSE = "LAPSE"


class ConsentEvent(Model):
    """Evidence of one consent change: who or what changed it, when, and on what text."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="consent_events", on_delete=fields.CASCADE
    )
    customer_id: object
    channel = fields.CharEnumField(ConsentChannel, max_length=8)
    state = fields.CharField(max_length=16)
    source = fields.CharEnumField(ConsentSource, max_length=16)
    text = fields.TextField(null=True)
    message_id = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consent_event"
        # Erasure, export and merges read a customer's events; without this each of them
        # would read every event of every organization.
        indexes = (Index(fields=("customer_id", "created_at")),)
