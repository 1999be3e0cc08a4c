from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.core.ids import new_id


class Organization(Model):
    """A tenant: one merchant. Every other row belongs to exactly one."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    name = fields.CharField(max_length=200)
    # The public name of the shoppers' privacy page (`/privacy/<slug>`), made from the name.
    slug = fields.CharField(max_length=64, null=True, unique=True)
    # Region used to read national phone formats such as "(202) 555-0143".
    default_region = fields.CharField(max_length=2, default="US")
    timezone = fields.CharField(max_length=64, default="UTC")
    settings: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organization"


class Store(Model):
    """A physical or online location of the organization."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="stores", on_delete=fields.CASCADE
    )
    organization_id: object
    name = fields.CharField(max_length=200)
    code = fields.CharField(max_length=64)
    online = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store"
        unique_together = (("organization", "code"),)


class SignupChannel(StrEnum):
    WEB = "WEB"
    IN_STORE = "IN_STORE"
    MOBILE_APP = "MOBILE_APP"
    EVENT = "EVENT"
    OTHER = "OTHER"


class SignupForm(Model):
    """Where a customer signed up: the signup source shown on the customer."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="signup_forms", on_delete=fields.CASCADE
    )
    organization_id: object
    name = fields.CharField(max_length=200)
    channel = fields.CharEnumField(SignupChannel, max_length=16, default=SignupChannel.WEB)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "signup_form"
        unique_together = (("organization", "name"),)
