"""Automatic rewards: the yearly birthday reward and the referral bonus."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.customers.lookup import LIVE_STATUSES
from app.models.customer import Customer
from app.models.organization import Organization
from app.models.wallet import LedgerKind
from app.wallets.ledger import Movement, post
from app.wallets.program import LoyaltyProgram, program_of
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


async def award_birthdays(now: dt.datetime | None = None) -> int:
    """Give today's birthday reward in every organization that enabled it.

    Once a year per customer: the idempotency key is `birthday:<customer>:<year>`, so the job
    can run any number of times a day.
    """
    now = now or utcnow()
    awarded = 0
    async for org in Organization.all():
        program = program_of(org)
        if not program.birthday_reward_enabled or program.birthday_reward_points <= 0:
            continue
        local_day = now.astimezone(ZoneInfo(org.timezone)).date()
        principal = Principal.system(org.id)
        after: uuid.UUID | None = None
        while True:
            query = Customer.filter(
                organization_id=org.id,
                birthday_monthday__in=birthday_monthdays(local_day),
                status__in=LIVE_STATUSES,
                loyalty_enrolled=True,
            )
            if after is not None:
                query = query.filter(id__gt=after)
            ids = await query.order_by("id").limit(BIRTHDAY_BATCH).values_list("id", flat=True)
            if not ids:
                break
            for customer_id in ids:
                result = await move_points(
                    principal,
                    customer_id,  # type: ignore[arg-type]
                    Movement(
                        LedgerKind.EARN,
                        program.birthday_reward_points,
                        "birthday reward",
                        f"birthday:{customer_id}:{local_day.year}",
                        expires_at=_expiry(program, now),
                    ),
                )
                awarded += 0 if result.replayed else 1
            after = ids[-1]  # type: ignore[assignment]
    return awarded


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
