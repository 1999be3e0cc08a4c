"""Automatic rewards: the yearly birthday reward and the referral bonus."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.models.customer import Customer
from app.models.wallet import LedgerKind
from app.organizations.profile import load_profile_fresh
from app.organizations.program import LoyaltyProgram
from app.wallets import repository
from app.wallets.ledger import Movement, post
from app.wallets.service import move_points

BIRTHDAY_BATCH = 1000


def birthday_monthdays(local_day: dt.date) -> list[int]:
    """Birthdays celebrated on this local date: Feb 29 birthdays on Feb 28 in common years."""
    days = [local_day.month * 100 + local_day.day]
    if (local_day.month, local_day.day) == (2, 28) and not calendar.isleap(local_day.year):
        days.append(229)
    return days


def _expiry(program: LoyaltyProgram, now: dt.datetime) -> dt.datetime | None:
    days = program.points_expire_after_days
    return now + dt.timedelta(days=days) if days else None


async def award_birthdays(principal: Principal, now: dt.datetime | None = None) -> int:
    """Give today's birthday reward in the principal's organization, when it enabled it.

    Once a year per customer: the idempotency key is `birthday:<customer>:<year>`, so the job
    can run any number of times a day.
    """
    principal.require_system()
    now = now or utcnow()
    profile = await load_profile_fresh(principal.organization_id)
    program = profile.program
    if not program.birthday_reward_enabled or program.birthday_reward_points <= 0:
        return 0
    local_day = now.astimezone(ZoneInfo(profile.timezone)).date()
    awarded = 0
    after: uuid.UUID | None = None
    while True:
        ids = await repository.birthday_customer_ids(
            principal.organization_id, birthday_monthdays(local_day), after, BIRTHDAY_BATCH
        )
        if not ids:
            return awarded
        for customer_id in ids:
            result = await move_points(
                principal,
                customer_id,
                Movement(
                    LedgerKind.EARN,
                    program.birthday_reward_points,
                    "birthday reward",
                    f"birthday:{customer_id}:{local_day.year}",
                    expires_at=_expiry(program, now),
                ),
            )
            awarded += 0 if result.replayed else 1
        after = ids[-1]


async def post_referral_bonuses(
    principal: Principal,
    program: LoyaltyProgram,
    referrer: Customer,
    referee: Customer,
    conn: BaseDBAsyncClient,
) -> None:
    """Inside the transaction that created the referee, so a bonus is never lost or doubled."""
    now = utcnow()
    if program.referral_bonus_points > 0:
        await post(
            principal,
            referrer,
            Movement(
                LedgerKind.EARN,
                program.referral_bonus_points,
                "referral bonus",
                f"referral:{referee.id}",
                expires_at=_expiry(program, now),
            ),
            conn,
        )
    if program.referee_bonus_points > 0:
        await post(
            principal,
            referee,
            Movement(
                LedgerKind.EARN,
                program.referee_bonus_points,
                "welcome bonus for a referred customer",
                f"referee:{referee.id}",
                expires_at=_expiry(program, now),
            ),
            conn,
        )
