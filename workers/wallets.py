"""Scheduled wallet jobs: expiring points and birthday rewards. Both are safe to run twice."""

from __future__ import annotations

from typing import Any

from app.wallets.rewards import award_birthdays
from app.wallets.service import expire_due_points


async def expire_points(ctx: dict[str, Any]) -> int:
    return await expire_due_points()


async def birthday_rewards(ctx: dict[str, Any]) -> int:
    return await award_birthdays()
