from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class Role(StrEnum):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    OPERATOR = "OPERATOR"
    STAFF = "STAFF"
    MARKETING = "MARKETING"
    MARKETING_ANALYST = "MARKETING_ANALYST"
    ANALYST = "ANALYST"


class Staff(Model):
    """A person of the merchant who signs in to the admin frontend."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="staff", on_delete=fields.CASCADE
    )
    organization_id: object
    # Unique within an organization only: one person may be staff of several merchants, and
    # a global uniqueness check would tell one tenant who is staff elsewhere.
    email = fields.CharField(max_length=254, db_index=True)
    name = fields.CharField(max_length=200, default="")
    role = fields.CharEnumField(Role, max_length=24)
    password_hash = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "staff"
        unique_together = (("organization", "email"),)


class StaffSession(Model):
    """A bearer token of a staff member. Only its SHA-256 is stored."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="sessions", on_delete=fields.CASCADE
    )
    staff_id: object
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_session"
