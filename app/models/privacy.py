"""The privacy blocklist: keyed digests of identifiers that may no longer be used.

A row never holds an identifier, only `app.core.blocklist`'s digest of it under one key
version. Nothing in the API, the CLI or the logs lists these rows: they are only probed with a
digest computed from an identifier someone already has.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class BlockReason(StrEnum):
    """Why an identifier is blocked: all that `identifierStatus` may tell (ERASED or BLOCKED)."""

    ERASED = "ERASED"
    OPTED_OUT = "OPTED_OUT"


class BlocklistEntry(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # Hex HMAC-SHA256 (app.core.blocklist); the unique index is the probe's only path.
    digest = fields.CharField(max_length=64)
    key_version = fields.SmallIntField()
    reason = fields.CharEnumField(BlockReason, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocklist_entry"
        unique_together = (("organization", "digest"),)
