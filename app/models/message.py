"""Outgoing messages (the outbox) and one-time verification codes.

Every email and text is a row here before any provider sees it: the row is the intent, the
send job only carries its id, and the row's status says how far it got. Verification codes
keep only a keyed hash of the code and of the identifier it was sent to.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.customer import Customer
from app.models.organization import Organization


class MessageChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class MessagePurpose(StrEnum):
    VERIFICATION_CODE = "VERIFICATION_CODE"
    DOUBLE_OPT_IN = "DOUBLE_OPT_IN"
    CONFIRMATION = "CONFIRMATION"
    HELP = "HELP"
    STOP_CONFIRMATION = "STOP_CONFIRMATION"
    EXPORT_LINK = "EXPORT_LINK"


class MessageStatus(StrEnum):
    # Waiting for the send job (or for `next_attempt_at`, after a transient failure).
    QUEUED = "QUEUED"
    # Claimed by a send job; the provider may or may not have it. Never sent again from here.
    SENDING = "SENDING"
    # The provider took it.
    SENT = "SENT"
    # The provider (or the outbox provider, at once) says it arrived.
    DELIVERED = "DELIVERED"
    # Refused by the provider, or given up after the last retry; `error_code` says why.
    FAILED = "FAILED"
    # Taken, then reported undeliverable (the carrier refused it, the mailbox bounced).
    UNDELIVERABLE = "UNDELIVERABLE"


class OutboxMessage(Model):
    """One outgoing email or text, from the moment it is asked for."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    customer_id: object
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    purpose = fields.CharEnumField(MessagePurpose, max_length=24)
    # Normalized: an E.164 phone number or a normalized email address.
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=200, null=True)
    body = fields.TextField()
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.QUEUED)
    # Which provider took it (`outbox`, `twilio`, `smtp`) and under which id.
    provider = fields.CharField(max_length=32, null=True)
    provider_message_id = fields.CharField(max_length=128, null=True)
    attempts = fields.IntField(default=0)
    next_attempt_at: dt.datetime | None = fields.DatetimeField(null=True)
    # When the current send job claimed it (SENDING).
    claimed_at: dt.datetime | None = fields.DatetimeField(null=True)
    error_code = fields.CharField(max_length=40, null=True)
    # The customers import whose double opt-in request this text asks to confirm (its counts
    # of texts queued and sent are read from here).
    import_job_id = fields.UUIDField(null=True)
    # Unique per organization: asking twice for the same message gives the same row.
    idempotency_key = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at: dt.datetime | None = fields.DatetimeField(null=True)
    delivered_at: dt.datetime | None = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "outbox_message"
        unique_together = (("organization", "idempotency_key"),)
        indexes = (
            Index(fields=("organization_id", "created_at")),
            Index(fields=("provider", "provider_message_id")),
            Index(fields=("status", "next_attempt_at")),
            Index(fields=("organization_id", "customer_id")),
            Index(fields=("organization_id", "import_job_id", "status")),
        )


class InboundMessage(Model):
    """A text a shopper sent to the organization's number, stored once per provider message id.

    A table of its own rather than rows of the outbox: nothing here is ever sent, and the
    unique (provider, message id) is what makes a replayed webhook change nothing.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # The customer holding the sender's number when it arrived, if any.
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    customer_id: object
    provider = fields.CharField(max_length=32)
    provider_message_id = fields.CharField(max_length=128)
    # The shopper's number (E.164) as the provider gave it.
    sender = fields.CharField(max_length=254)
    body = fields.TextField()
    # What the text asked for: CONFIRM, STOP, HELP or OTHER (app.consent.keywords).
    intent = fields.CharField(max_length=8)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "inbound_message"
        unique_together = (("organization", "provider", "provider_message_id"),)
        indexes = (
            Index(fields=("organization_id", "customer_id")),
            Index(fields=("organization_id", "received_at")),
        )


class VerificationCode(Model):
    """A one-time code sent to an email address or phone number, kept only as a keyed hash."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    # HMAC-SHA256 of the normalized identifier under the secret key: found again, never read.
    identifier_digest = fields.CharField(max_length=64)
    salt = fields.CharField(max_length=32)
    # HMAC-SHA256 of salt and code under the secret key.
    code_digest = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    expires_at: dt.datetime = fields.DatetimeField()
    # Set when the code was accepted, or replaced by a newer code for the same identifier.
    used_at: dt.datetime | None = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "verification_code"
        indexes = (Index(fields=("organization_id", "identifier_digest", "created_at")),)
