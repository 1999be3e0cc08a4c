from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.audit import ActorKind
from app.models.customer import Customer
from app.models.organization import Organization


class AliasKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EXTERNAL_REFERENCE = "EXTERNAL_REFERENCE"


class MergeRole(StrEnum):
    SURVIVOR = "SURVIVOR"
    MERGED = "MERGED"


class CustomerMerge(Model):
    """One merge: who was folded into whom, and everything needed to undo it exactly.

    Append-only in spirit: an unmerge sets `undone_at`/`undone_by_*` once and never deletes.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    survivor: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    survivor_id: object
    # The merged customers' ids, in the order given (the order blanks were filled from).
    merged_ids: fields.Field[list[str]] = fields.JSONField(default=list)
    actor_kind = fields.CharEnumField(ActorKind, max_length=16)
    actor_id = fields.UUIDField(null=True)
    # field/trait key -> id of the record chosen by staff.
    field_choices: fields.Field[dict[str, str]] = fields.JSONField(default=dict)
    # field/trait key -> id of the record the survivor's value came from.
    provenance: fields.Field[dict[str, str]] = fields.JSONField(default=dict)
    # {"survivor": {...}, "merged": {id: {...}}}: every column the unmerge restores or compares,
    # as they were just before the merge; "survivor_after": the survivor right after it.
    snapshots: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    # What moved, by id: {"orders": {merged id: [ids]}, "ledger_entries": {...},
    # "consent_events": {...}, "lots": [{"customer", "lot", "points", "expires_at", "merge_in"}],
    # "lifetime": {merged id: points}}.
    moved: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    undone_at: dt.datetime | None = fields.DatetimeField(null=True)
    undone_by_kind: ActorKind | None = fields.CharEnumField(  # type: ignore[assignment]
        ActorKind, max_length=16, null=True
    )
    undone_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "customer_merge"
        indexes = (
            Index(fields=("organization_id", "id")),
            # The sorted list (app.merges.sorting).
            Index(fields=("organization_id", "created_at", "id")),
            Index(fields=("organization_id", "undone_at", "id")),
        )


class CustomerMergeMember(Model):
    """A customer's part in a merge, so history per customer is one indexed lookup."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    merge: fields.ForeignKeyRelation[CustomerMerge] = fields.ForeignKeyField(
        "models.CustomerMerge", related_name="members", on_delete=fields.CASCADE
    )
    merge_id: object
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    customer_id: object
    role = fields.CharEnumField(MergeRole, max_length=8)
    # 0 for the survivor, 1.. for the merged customers in the order given.
    position = fields.SmallIntField()

    class Meta:
        table = "customer_merge_member"
        unique_together = (("merge", "customer"),)
        indexes = (Index(fields=("customer_id", "merge_id")),)


class CustomerAlias(Model):
    """An identifier of a merged customer (or one the survivor gave up) while a merge stands.

    Unique per organization and kind like live identifiers, and never equal to a live one:
    lookups by it lead to `customer` (and on through its own merges, if any).
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    kind = fields.CharEnumField(AliasKind, max_length=20)
    # Normalized like the live column it came from.
    value = fields.CharField(max_length=254)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    customer_id: object
    # Whose identifier it was (the survivor itself when a field choice replaced its own).
    former_customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name=False, on_delete=fields.CASCADE
    )
    former_customer_id: object
    merge: fields.ForeignKeyRelation[CustomerMerge] = fields.ForeignKeyField(
        "models.CustomerMerge", related_name="aliases", on_delete=fields.CASCADE
    )
    merge_id: object

    class Meta:
        table = "customer_alias"
        unique_together = (("organization", "kind", "value"),)
        indexes = (Index(fields=("merge_id",)),)
