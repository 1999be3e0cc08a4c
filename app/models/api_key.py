from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class ApiKey(Model):
    """A scoped credential of a machine client (POS). Only its SHA-256 is stored."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="api_keys", on_delete=fields.CASCADE
    )
    organization_id: object
    name = fields.CharField(max_length=200)
    # The first characters of the key, shown in lists so staff can tell keys apart.
    prefix = fields.CharField(max_length=24)
    key_hash = fields.CharField(max_length=64, unique=True)
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
