"""Duplicate suggestions, the pairs staff dismissed, and each organization's placeholder settings.

The suggestions and the placeholders found are what the last recompute produced (replaced as a
whole in one transaction); dismissed pairs and the settings are staff decisions and stay.
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


class PlaceholderKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EXTERNAL_REFERENCE = "EXTERNAL_REFERENCE"


class PlaceholderSource(StrEnum):
    # On the organization's placeholder list.
    LISTED = "LISTED"
    # Held by more live customers than the organization's threshold.
    SHARED = "SHARED"


class DuplicateSuggestion(Model):
    """A group of live customers (two or more) that look like one person.

    Ids are made in the order of decreasing score when a recompute writes them (ids increase
    within a process, `app.core.ids`), so ordering by id is strongest first and keyset pages
    need only the primary key.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # The customers' ids, sorted (also in `DuplicateSuggestionMember`, which is what is queried).
    customer_ids: fields.Field[list[str]] = fields.JSONField(default=list)
    score = fields.FloatField()
    # `app.merges.scoring.Reason` values, in that enum's order.
    reasons: fields.Field[list[str]] = fields.JSONField(default=list)
    computed_at: dt.datetime = fields.DatetimeField()

    class Meta:
        table = "duplicate_suggestion"
        indexes = (Index(fields=("organization_id", "id")),)


class DuplicateSuggestionMember(Model):
    """One customer of a suggestion: finds the suggestions of a customer, drops stale ones."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    suggestion: fields.ForeignKeyRelation[DuplicateSuggestion] = fields.ForeignKeyField(
        "models.DuplicateSuggestion", related_name="members", on_delete=fields.CASCADE
    )
    suggestion_id: object
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    customer_id: object

    class Meta:
        table = "duplicate_suggestion_member"
        unique_together = (("suggestion", "customer"),)
        indexes = (Index(fields=("organization_id", "customer_id")),)


class DismissedDuplicatePair(Model):
    """Two customers staff said are not one person: never suggested together again."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # The two ids in order (low < high), so a pair has one row whichever way it was named.
    # Plain ids, not foreign keys: the decision outlives a merge or an erasure of either.
    low_customer_id = fields.UUIDField()
    high_customer_id = fields.UUIDField()
    # The staff member (or API key) who dismissed it; none for the system.
    dismissed_by_id = fields.UUIDField(null=True)
    dismissed_at: dt.datetime = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dismissed_duplicate_pair"
        unique_together = (("organization", "low_customer_id", "high_customer_id"),)


class DuplicateSettings(Model):
    """The placeholder list and sharing threshold of an organization (defaults until edited)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.OneToOneRelation[Organization] = fields.OneToOneField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # [{"kind": PlaceholderKind, "value": normalized value}], in the order staff gave them;
    # null until staff first edit it: the defaults (`app.merges.placeholder_settings`).
    placeholder_values: fields.Field[list[dict[str, str]] | None] = fields.JSONField(null=True)
    # A value held by more live customers than this is a placeholder.
    shared_threshold = fields.IntField(default=5)
    updated_at: dt.datetime = fields.DatetimeField(auto_now=True)
    # When the last recompute finished (null: never).
    computed_at: dt.datetime | None = fields.DatetimeField(null=True)

    class Meta:
        table = "duplicate_settings"


class PlaceholderIdentifier(Model):
    """A placeholder value the last recompute found among active customers, with its count."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    kind = fields.CharEnumField(PlaceholderKind, max_length=24)
    value = fields.CharField(max_length=254)
    customer_count = fields.IntField()
    source = fields.CharEnumField(PlaceholderSource, max_length=8)

    class Meta:
        table = "placeholder_identifier"
        indexes = (Index(fields=("organization_id", "id")),)
