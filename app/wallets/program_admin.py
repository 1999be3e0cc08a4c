"""Reading and changing an organization's loyalty program (staff with program:manage)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.errors import FieldError, ValidationFailed
from app.core.transactions import atomic
from app.models.audit import AuditAction
from app.organizations import repository as organizations
from app.organizations.profile import forget_profile, load_program
from app.organizations.program import LoyaltyProgram, Tier, program_of
from app.wallets.errors import WalletErrorCode as Code


async def get_program(principal: Principal) -> LoyaltyProgram:
    # Every credential of the organization may read its program (the POS shows tiers).
    return await load_program(principal.organization_id)


def _check(program: LoyaltyProgram) -> list[FieldError]:
    errors: list[FieldError] = []
    if not Decimal(0) <= program.points_per_currency_unit <= Decimal(1000):
        errors.append(
            FieldError(Code.INVALID, "Must be between 0 and 1000.", "pointsPerCurrencyUnit")
        )
    if not Decimal(0) <= program.point_value <= Decimal(1000):
        errors.append(FieldError(Code.INVALID, "Must be between 0 and 1000.", "pointValue"))
    days = program.points_expire_after_days
    if days is not None and not 1 <= days <= 3650:
        errors.append(FieldError(Code.INVALID, "Must be 1 to 3650 days.", "pointsExpireAfterDays"))
    for name, value in (
        ("birthdayRewardPoints", program.birthday_reward_points),
        ("referralBonusPoints", program.referral_bonus_points),
        ("refereeBonusPoints", program.referee_bonus_points),
    ):
        if not 0 <= value <= 1_000_000:
            errors.append(FieldError(Code.INVALID_POINTS, "Must be 0 to 1,000,000.", name))
    if not 1 <= program.at_risk_after_days < program.lost_after_days <= 3650:
        errors.append(
            FieldError(
                Code.INVALID,
                "Need 1 <= atRiskAfterDays < lostAfterDays <= 3650.",
                "atRiskAfterDays",
            )
        )
    names = [t.name.strip() for t in program.tiers]
    thresholds = [t.min_lifetime_points for t in program.tiers]
    if (
        not program.tiers
        or any(not n for n in names)
        or len(set(names)) != len(names)
        or len(set(thresholds)) != len(thresholds)
        or any(p < 0 for p in thresholds)
    ):
        errors.append(
            FieldError(
                Code.INVALID_TIERS,
                "Tiers need distinct names and distinct thresholds of 0 or more.",
                "tiers",
            )
        )
    return errors


async def update_program(principal: Principal, changes: dict[str, Any]) -> LoyaltyProgram:
    """Apply the given fields (names as in LoyaltyProgram); the rest stay as they are."""
    principal.require(Operation.PROGRAM_MANAGE)
    async with atomic() as conn:
        org = await organizations.get_for_update(principal.organization_id, conn)
        current = program_of(org)
        if "tiers" in changes:
            changes["tiers"] = tuple(
                sorted(
                    (Tier(t.name.strip(), t.min_lifetime_points) for t in changes["tiers"]),
                    key=lambda t: t.min_lifetime_points,
                )
            )
        updated = dataclasses.replace(current, **changes)
        errors = _check(updated)
        if errors:
            raise ValidationFailed(errors)
        org.settings = {**(org.settings or {}), "program": updated.to_json()}
        await organizations.save(org, conn, ["settings", "updated_at"])
        await audit.record(
            principal,
            AuditAction.ORGANIZATION_UPDATED,
            "organization",
            org.id,
            {"program": sorted(changes)},
            using_db=conn,
        )
    forget_profile(principal.organization_id)
    return updated
