from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class PersonaSetStatus(StrEnum):
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


class PersonaSet(Model):
    """One generation of an organization's personas. Exactly one READY set is current, a new
    set becomes current only once all of it (personas and assignments) is written."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    status = fields.CharEnumField(PersonaSetStatus, max_length=12, default=PersonaSetStatus.RUNNING)
    is_current = fields.BooleanField(default=False)
    forced = fields.BooleanField(default=False)
    requested_by_id = fields.UUIDField(null=True)
    customer_count = fields.IntField(default=0)
    # Model facts: k, silhouette, seed, feature list, scaler parameters, timings.
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    error_code = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    generated_at: dt.datetime | None = fields.DatetimeField(null=True)

    class Meta:
        table = "persona_set"
        indexes = (Index(fields=("organization_id", "is_current")),)


class Persona(Model):
    """One persona of one set. `identity_id` is the stable id clients see: a persona that is
    the same group as one of the previous set inherits its identity (and its roadmap)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    persona_set: fields.ForeignKeyRelation[PersonaSet] = fields.ForeignKeyField(
        "models.PersonaSet", related_name="personas", on_delete=fields.CASCADE
    )
    persona_set_id: object
    identity_id = fields.UUIDField()
    name = fields.CharField(max_length=120)
    position = fields.IntField(default=0)
    is_other = fields.BooleanField(default=False)
    size = fields.IntField()
    share = fields.FloatField()
    # Aggregates only: never a customer's personal data.
    centroid: fields.Field[list[float]] = fields.JSONField(default=list)
    demographics: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    motivations: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    behaviors: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # Why the data cannot support a motivation or a full roadmap ("" when it can).
    note = fields.TextField(default="")

    class Meta:
        table = "persona"
        indexes = (Index(fields=("persona_set_id", "position")), Index(fields=("identity_id",)))


class RoadmapItemSource(StrEnum):
    GENERATED = "GENERATED"
    STAFF = "STAFF"


class RoadmapItem(Model):
    """A checklist item of a persona's roadmap, attached to the persona's stable identity so
    that staff edits survive regenerations."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    persona_identity_id = fields.UUIDField()
    # For generated items: the rule that produced it, so a refresh does not add it twice.
    rule_key = fields.CharField(max_length=64, null=True)
    source = fields.CharEnumField(RoadmapItemSource, max_length=12)
    title = fields.CharField(max_length=200)
    rationale = fields.TextField(default="")
    suggested_setting = fields.CharField(max_length=300, default="")
    done = fields.BooleanField(default=False)
    notes = fields.TextField(default="")
    position = fields.IntField(default=0)
    # A generated item staff deleted: hidden, and never generated again for this persona.
    dismissed = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "roadmap_item"
        indexes = (Index(fields=("organization_id", "persona_identity_id", "position")),)


class PersonaAssignment(Model):
    """Which persona (identity) each customer belongs to in one set, written in bulk."""

    id = fields.BigIntField(primary_key=True)
    persona_set_id = fields.UUIDField()
    customer_id = fields.UUIDField()
    persona_identity_id = fields.UUIDField()

    class Meta:
        table = "persona_assignment"
        unique_together = (("persona_set_id", "customer_id"),)
        indexes = (Index(fields=("persona_set_id", "persona_identity_id", "customer_id")),)
