"""Scheduled wallet jobs: expiring points and the daily birthday and anniversary rewards (the
program's birthday reward, or BIRTHDAY and ANNIVERSARY earning rules). Both are safe to run
twice."""

from __future__ import annotations

from typing import Any

from app.organizations.service import system_principals
from app.rules.daily import award_yearly
from app.wallets.service import expire_due_points


async def expire_points(ctx: dict[str, Any]) -> int:
    expired = 0
    for principal in await system_principals():
        expired += await expire_due_points(principal)
    return expired


async def birthday_rewards(ctx: dict[str, Any]) -> int:
    awarded = 0
    for principal in await system_principals():
        awarded += await award_yearly(principal)
    return awarded
