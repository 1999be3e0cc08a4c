"""Domain enums exposed in the schema (registered once, here)."""

from __future__ import annotations

import strawberry

from app.auth.permissions import ApiKeyScope
from app.models.audit import ActorKind, AuditAction
from app.models.customer import (
    CustomerStatus,
    FavoriteStoreSource,
    LifecycleStage,
    RfmSegment,
    SmsState,
)
from app.models.organization import SignupChannel
from app.models.staff import Role

strawberry.enum(CustomerStatus)
strawberry.enum(FavoriteStoreSource)
strawberry.enum(SmsState)
strawberry.enum(
    LifecycleStage,
    description="From orders, with the organization's thresholds (AT_RISK and LOST after "
    "so many days without a purchase).",
)
strawberry.enum(RfmSegment, description="Named segment of the RFM scores.")
strawberry.enum(SignupChannel)
strawberry.enum(Role)
strawberry.enum(AuditAction)
strawberry.enum(ActorKind)
strawberry.enum(
    ApiKeyScope,
    description="What an API key may do; values are the strings the CLI takes.",
)

__all__ = [
    "ActorKind",
    "ApiKeyScope",
    "AuditAction",
    "CustomerStatus",
    "FavoriteStoreSource",
    "LifecycleStage",
    "RfmSegment",
    "Role",
    "SignupChannel",
    "SmsState",
]
