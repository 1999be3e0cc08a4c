from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.core.ids import new_id
from app.models.organization import Organization


class AuditAction(StrEnum):
    CUSTOMER_ARCHIVED = "CUSTOMER_ARCHIVED"
    CUSTOMER_UNARCHIVED = "CUSTOMER_UNARCHIVED"
    STAFF_CREATED = "STAFF_CREATED"
    STAFF_ROLE_CHANGED = "STAFF_ROLE_CHANGED"
    STAFF_DEACTIVATED = "STAFF_DEACTIVATED"
    LOGIN_THROTTLED = "LOGIN_THROTTLED"
    API_KEY_CREATED = "API_KEY_CREATED"
    API_KEY_REVOKED = "API_KEY_REVOKED"
    ORGANIZATION_CREATED = "ORGANIZATION_CREATED"
    ORGANIZATION_UPDATED = "ORGANIZATION_UPDATED"
    IMPORT_STARTED = "IMPORT_STARTED"
    IMPORT_CANCELLED = "IMPORT_CANCELLED"
    PERSONAS_REGENERATION_REQUESTED = "PERSONAS_REGENERATION_REQUESTED"
    PRIVACY_REQUEST_CREATED = "PRIVACY_REQUEST_CREATED"
    CUSTOMER_ERASED = "CUSTOMER_ERASED"
    CUSTOMER_EXPORTED = "CUSTOMER_EXPORTED"
    CUSTOMER_OPTED_OUT = "CUSTOMER_OPTED_OUT"
    CUSTOMERS_MERGED = "CUSTOMERS_MERGED"
    CUSTOMERS_UNMERGED = "CUSTOMERS_UNMERGED"
    IDENTIFIERS_BLOCKED = "IDENTIFIERS_BLOCKED"
    IDENTIFIER_STATUS_CHECKED = "IDENTIFIER_STATUS_CHECKED"
    BLOCKLIST_REKEYED = "BLOCKLIST_REKEYED"
    IDENTIFIER_UNBLOCKED = "IDENTIFIER_UNBLOCKED"


class ActorKind(StrEnum):
    STAFF = "STAFF"
    API_KEY = "API_KEY"
    SYSTEM = "SYSTEM"


class AppendOnlyViolation(RuntimeError):
    pass


class AppendOnlyQuerySet(QuerySet[Any]):
    """Bulk `update()`/`delete()` would bypass the instance guards below: refuse them too."""

    def update(self, **kwargs: Any) -> Any:
        raise AppendOnlyViolation("audit events are append-only")

    def delete(self) -> Any:
        raise AppendOnlyViolation("audit events are append-only")


class AppendOnlyManager(Manager):
    def get_queryset(self) -> QuerySet[Any]:
        return AppendOnlyQuerySet(self._model)


class AuditEvent(Model):
    """One privileged action. Rows are only ever inserted: see `save` and `delete`."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    action = fields.CharEnumField(AuditAction, max_length=40)
    actor_kind = fields.CharEnumField(ActorKind, max_length=16)
    actor_id = fields.UUIDField(null=True)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.UUIDField()
    # Never personal data: codes, ids, roles, reasons typed by staff.
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The tamper-evident chain (app.audit.chain): the entry's place in its organization's
    # chain and sha256(canonical entry + previous entry's hash). Null on entries written before
    # the chain existed: the chain starts at the first entry that has one.
    sequence = fields.BigIntField(null=True)
    previous_hash = fields.CharField(max_length=64, null=True)
    hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_event"
        manager = AppendOnlyManager()
        indexes = (
            Index(fields=("organization_id", "id")),
            Index(fields=("organization_id", "subject_id")),
        )
        unique_together = (("organization", "sequence"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise AppendOnlyViolation("audit events are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise AppendOnlyViolation("audit events are append-only")


class AuditChainHead(Model):
    """The newest entry of an organization's audit chain. Writers lock this row, so entries
    are chained one at a time per organization even with concurrent transactions."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.OneToOneRelation[Organization] = fields.OneToOneField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    sequence = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_chain_head"
