from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.core.ids import new_id
from app.models.organization import Organization


class PredictionModelStatus(StrEnum):
    # Fitted; the customers' figures were written with it.
    FITTED = "FITTED"
    # Too little history: no model, no figures, and `reason` says what is missing.
    INELIGIBLE = "INELIGIBLE"
    # The maximum likelihood search did not converge: no figures, `reason` says so.
    FAILED = "FAILED"


class PredictionModel(Model):
    """The organization's current prediction model (BG/NBD and Gamma-Gamma), one row per
    organization, rewritten by each refit in the transaction that writes the customers'
    figures, so the two always agree."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE, unique=True
    )
    organization_id: object
    status = fields.CharEnumField(PredictionModelStatus, max_length=12)
    # Why there is no model (INELIGIBLE): a code and a sentence for a person.
    reason_code = fields.CharField(max_length=40, null=True)
    reason = fields.CharField(max_length=500, null=True)
    fitted_at = fields.DatetimeField()
    # The moment the history was measured to (the figures are predictions from it on).
    as_of = fields.DatetimeField()
    # Customers with a completed order up to `as_of` (the BG/NBD sample) and repeat buyers
    # among them (the Gamma-Gamma sample).
    customers = fields.IntField(default=0)
    repeat_buyers = fields.IntField(default=0)
    # {"timeUnit": "weeks", "bgnbd": {r, alpha, a, b}, "gammaGamma": {p, q, v}}.
    parameters: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # Fit on the history before a cut-off, predicted over the held-back period after it.
    calibration: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    bgnbd_log_likelihood = fields.FloatField(null=True)
    gamma_gamma_log_likelihood = fields.FloatField(null=True)
    converged = fields.BooleanField(default=False)
    # Seconds spent: aggregate, fits, writing the customers' figures.
    timings: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    updated_at: dt.datetime = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "prediction_model"
