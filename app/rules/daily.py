"""The daily rewards job: birthdays and enrolment anniversaries, in the organization's day.

BIRTHDAY: the organization's ACTIVE BIRTHDAY rules when it has any; otherwise the program's
birthday settings (`birthdayRewardEnabled`, `birthdayRewardPoints`) act as the default rule,
exactly as before rules existed (app/wallets/rewards.py). ANNIVERSARY: only rules.
Safe to run any number of times a day: each award is keyed by customer and local year.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.transactions import atomic
from app.models.earning_rule import EarningRule
from app.models.earning_rule import EarningRuleKind as Kind
from app.organizations.profile import load_profile_fresh
from app.organizations.program import LoyaltyProgram
from app.rules import repository
from app.rules.evaluation import Event, award
from app.wallets import repository as wallets
from app.wallets.ledger import lock_customer
from app.wallets.rewards import BIRTHDAY_BATCH, award_birthdays, birthday_monthdays


async def _award_each(
    principal: Principal,
    ids: list[uuid.UUID],
    event: Event,
    program: LoyaltyProgram,
    rules: list[EarningRule],
) -> int:
    awarded = 0
    for customer_id in ids:
        # One short transaction per customer: a large organization never holds many locks.
        async with atomic() as conn:
            customer = await lock_customer(principal, customer_id, conn)
            if customer is not None:
                outcome = await award(principal, customer, event, program, conn, rules=rules)
                awarded += len(outcome.awards)
    return awarded


async def award_yearly(principal: Principal, now: dt.datetime | None = None) -> int:
    """Today's birthday and anniversary bonuses in the principal's organization; the number
    of awards written (0 when run again the same day)."""
    principal.require_system()
    now = now or utcnow()
    profile = await load_profile_fresh(principal.organization_id)
    local_day = now.astimezone(ZoneInfo(profile.timezone)).date()
    rules = await repository.active_of_kinds_now(
        principal.organization_id, (Kind.BIRTHDAY, Kind.ANNIVERSARY)
    )
    birthday = [r for r in rules if r.kind is Kind.BIRTHDAY]
    anniversary = [r for r in rules if r.kind is Kind.ANNIVERSARY]
    if not birthday:
        awarded = await award_birthdays(principal, now)
    else:
        awarded = 0
        event = Event((Kind.BIRTHDAY,), now, local_year=local_day.year)
        after: uuid.UUID | None = None
        while ids := await wallets.birthday_customer_ids(
            principal.organization_id, birthday_monthdays(local_day), after, BIRTHDAY_BATCH
        ):
            awarded += await _award_each(principal, ids, event, profile.program, birthday)
            after = ids[-1]
    if anniversary:
        event = Event((Kind.ANNIVERSARY,), now, local_year=local_day.year)
        zone = ZoneInfo(profile.timezone)
        after = None
        while batch := await repository.enrolled_since(
            principal.organization_id, after, BIRTHDAY_BATCH
        ):
            due = [
                customer_id
                for customer_id, created_at in batch
                if _is_anniversary(created_at.astimezone(zone).date(), local_day)
            ]
            awarded += await _award_each(principal, due, event, profile.program, anniversary)
            after = batch[-1][0]
    return awarded


def _is_anniversary(enrolled_on: dt.date, today: dt.date) -> bool:
    """A whole number of years since enrolment (Feb 29 enrolments on Feb 28 in common years)."""
    if enrolled_on.year >= today.year:
        return False
    return enrolled_on.month * 100 + enrolled_on.day in birthday_monthdays(today)
