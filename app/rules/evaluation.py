"""Evaluating earning rules on one event, inside the event's own transaction.

The order of evaluation is fixed and documented (docs/rules-and-campaigns.md): by kind in the
order of `EVALUATION_ORDER`, then by `priority` (lower first), then by id. Every rule's
eligibility (window, audience, conditions) is decided against the customer as the event left it
*before* any rule of the same event pays, so the order matters only when a budget runs out.

Each award is idempotent by (rule, event key): the key names the event (`order:<id>`,
`welcome:<customer>`, `birthday:<customer>:<year>`...), an award row is unique per (rule, key),
and the ledger entry's idempotency key is `rule:<rule>:<event key>`. Callers hold the
customer's row lock, which serializes awards to one customer (and so per-customer limits);
the budget is one conditional UPDATE of the rules' counters (`repository.take_from_budgets`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.customers import audience
from app.models.customer import Customer
from app.models.earning_rule import EarningRule, EarningRuleAward
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.wallet import LedgerKind
from app.organizations.program import LoyaltyProgram
from app.rules import conditions, repository
from app.rules.active import active_rules
from app.wallets.ledger import Movement, post_credits

logger = logging.getLogger("app.rules")

EVALUATION_ORDER: tuple[Kind, ...] = (
    Kind.WELCOME,
    Kind.PROFILE_COMPLETED,
    Kind.REFERRAL,
    Kind.FIRST_ORDER,
    Kind.ORDER_MULTIPLIER,
    Kind.STREAK,
    Kind.MILESTONE,
    Kind.BIRTHDAY,
    Kind.ANNIVERSARY,
)
_RANK = {kind: index for index, kind in enumerate(EVALUATION_ORDER)}
# Per rule id: (awards given to the customer, time of the latest event one paid for).
History = dict[str, tuple[int, dt.datetime | None]]
ORDER_KINDS = (Kind.FIRST_ORDER, Kind.ORDER_MULTIPLIER, Kind.STREAK, Kind.MILESTONE)


@dataclass(frozen=True)
class OrderLine:
    amount: Decimal
    category: str | None
    tags: Sequence[str]


@dataclass(frozen=True)
class OrderFacts:
    """What the rules of an order read: the order, and the customer's statistics before it."""

    order_id: uuid.UUID
    total: Decimal
    store_id: uuid.UUID | None
    lines: Sequence[OrderLine]
    orders_before: int
    spent_before: Decimal


@dataclass(frozen=True)
class Event:
    """One triggering event. `at`: when it happened (an order's placedAt, or now); windows
    are checked against it. `local_year`: the organization's year, for yearly events."""

    kinds: tuple[Kind, ...]
    at: dt.datetime
    order: OrderFacts | None = None
    local_year: int | None = None
    # REFERRAL: the new customer; the rule's `points` go to the referrer given to `award`.
    referee: Customer | None = None


@dataclass(frozen=True)
class Award:
    rule: EarningRule
    customer: Customer
    points: int
    event_key: str


@dataclass
class Outcome:
    awards: list[Award] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(a.points for a in self.awards)

    def points_of(self, customer_id: uuid.UUID) -> int:
        return sum(a.points for a in self.awards if a.customer.id == customer_id)


def ordered(rules: Sequence[EarningRule]) -> list[EarningRule]:
    return sorted(rules, key=lambda r: (_RANK[r.kind], r.priority, str(r.id)))


def in_window(rule: EarningRule, at: dt.datetime) -> bool:
    """Start inclusive, end exclusive; both are instants (entered in the organization's zone)."""
    if rule.starts_at is not None and at < rule.starts_at:
        return False
    return rule.ends_at is None or at < rule.ends_at


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_FLOOR))


def _order_scope_holds(scope: conditions.OrderScope, order: OrderFacts) -> bool:
    if scope.store_ids and order.store_id not in scope.store_ids:
        return False
    return scope.min_total is None or order.total >= scope.min_total


def _matching_amount(scope: conditions.OrderScope, order: OrderFacts) -> Decimal:
    if not scope.categories and not scope.tags:
        return order.total
    return sum(
        (
            line.amount
            for line in order.lines
            if (line.category is not None and line.category in scope.categories)
            or any(tag in scope.tags for tag in line.tags)
        ),
        Decimal(0),
    )


async def _order_points(
    rule: EarningRule,
    terms: conditions.Conditions,
    customer: Customer,
    order: OrderFacts,
    at: dt.datetime,
    program: LoyaltyProgram,
    history: History,
    conn: BaseDBAsyncClient,
) -> tuple[int, str] | None:
    """(points, event key) of an order-triggered rule, or None when it does not apply."""
    cid = customer.id
    if isinstance(terms, conditions.OrderScope) and rule.kind is Kind.ORDER_MULTIPLIER:
        if not _order_scope_holds(terms, order) or rule.multiplier is None:
            return None
        base = program.points_for(_matching_amount(terms, order))
        return _floor(base * (Decimal(rule.multiplier) - 1)), f"order:{order.order_id}"
    if isinstance(terms, conditions.OrderScope) and rule.kind is Kind.FIRST_ORDER:
        if order.orders_before != 0 or not _order_scope_holds(terms, order):
            return None
        return rule.points or 0, f"first-order:{cid}"
    if isinstance(terms, conditions.Streak):
        since = at - dt.timedelta(days=terms.within_days)
        # The streak restarts after the order its last award paid for (refunded or not).
        last = history.get(str(rule.id), (0, None))[1]
        if last is not None and last > since:
            since = last
        count = await repository.completed_orders_between(cid, since, at, conn)
        return (rule.points or 0, f"order:{order.order_id}") if count >= terms.orders else None
    if isinstance(terms, conditions.Milestone):
        if terms.lifetime_orders is not None:
            before, after = Decimal(order.orders_before), Decimal(customer.order_count)
            target = Decimal(terms.lifetime_orders)
        else:
            before, after = order.spent_before, Decimal(customer.total_spent)
            target = terms.lifetime_spend or Decimal(0)
        return (rule.points or 0, f"milestone:{cid}") if before < target <= after else None
    return None


def _profile_complete(customer: Customer, terms: conditions.ProfileFields) -> bool:
    return all(getattr(customer, name) not in (None, "") for name in terms.required)


async def _candidates(
    rule: EarningRule,
    customer: Customer,
    event: Event,
    program: LoyaltyProgram,
    history: History,
    conn: BaseDBAsyncClient,
) -> list[Award]:
    terms = conditions.parse(rule.kind, rule.conditions)
    cid = customer.id
    found: list[tuple[Customer, int, str]] = []
    match rule.kind:
        case Kind.WELCOME:
            found.append((customer, rule.points or 0, f"welcome:{cid}"))
        case Kind.PROFILE_COMPLETED:
            if isinstance(terms, conditions.ProfileFields) and _profile_complete(customer, terms):
                found.append((customer, rule.points or 0, f"profile:{cid}"))
        case Kind.BIRTHDAY | Kind.ANNIVERSARY:
            key = "birthday" if rule.kind is Kind.BIRTHDAY else "anniversary"
            found.append((customer, rule.points or 0, f"{key}:{cid}:{event.local_year}"))
        case Kind.REFERRAL:
            referee = event.referee
            if referee is not None:
                found.append((customer, rule.points or 0, f"referral:{referee.id}"))
                if isinstance(terms, conditions.Referral) and referee.loyalty_enrolled:
                    found.append((referee, terms.referee_points, f"referee:{referee.id}"))
        case _:
            if event.order is not None:
                got = await _order_points(
                    rule, terms, customer, event.order, event.at, program, history, conn
                )
                if got is not None:
                    found.append((customer, *got))
    return [Award(rule, holder, points, key) for holder, points, key in found if points > 0]


async def _eligible(
    customer: Customer,
    event: Event,
    program: LoyaltyProgram,
    rules: Sequence[EarningRule],
    history: History,
    conn: BaseDBAsyncClient,
) -> list[Award]:
    out: list[Award] = []
    for rule in ordered(rules):
        if rule.kind not in event.kinds or not in_window(rule, event.at):
            continue
        try:
            where = audience.from_json(rule.audience)
            found = await _candidates(rule, customer, event, program, history, conn)
        except (audience.AudienceInvalid, conditions.ConditionsInvalid):
            # Validated on write; a rule stored by an older version that no longer parses
            # awards nothing rather than failing the customer's order.
            logger.warning("earning rule %s has conditions that no longer parse", rule.id)
            continue
        if found and (
            audience.is_everyone(where) or await audience.matches(customer, where, program, conn)
        ):
            out.extend(found)
    return out


async def _within_limits(
    candidates: list[Award],
    event: Event,
    customer: Customer,
    history: History,
    conn: BaseDBAsyncClient,
) -> list[Award]:
    """Drop awards already given for their event, and those past a per-customer limit."""
    # The key of the order being recorded is new: nothing can have been awarded for it yet
    # (and the unique index would refuse it anyway).
    fresh = f"order:{event.order.order_id}" if event.order is not None else None
    known = [a for a in candidates if a.event_key != fresh]
    done = await repository.awarded_keys(
        list({a.rule.id for a in known}), [a.event_key for a in known], conn
    )
    limited = [a for a in candidates if a.rule.per_customer_limit is not None]
    counts: dict[tuple[str, uuid.UUID], int] = {
        (rule_id, customer.id): n for rule_id, (n, _) in history.items()
    }
    # Another holder than the event's customer: the referee of a referral.
    for holder in {a.customer.id for a in limited} - {customer.id}:
        ids = list({a.rule.id for a in limited if a.customer.id == holder})
        for rule_id, n in (await repository.award_counts(ids, holder, conn)).items():
            counts[(rule_id, holder)] = n
    kept: list[Award] = []
    for award in candidates:
        if (str(award.rule.id), award.event_key) in done:
            continue
        limit = award.rule.per_customer_limit
        slot = (str(award.rule.id), award.customer.id)
        if limit is not None:
            if counts.get(slot, 0) >= limit:
                continue
            counts[slot] = counts.get(slot, 0) + 1
        kept.append(award)
    return kept


def _reason(rule: EarningRule) -> str:
    return f"{rule.kind.value.lower().replace('_', ' ')}: {rule.name}"[:200]


async def award(
    principal: Principal,
    customer: Customer,
    event: Event,
    program: LoyaltyProgram,
    conn: BaseDBAsyncClient,
    *,
    rules: Sequence[EarningRule] | None = None,
    wallet_written_by_caller: bool = False,
) -> Outcome:
    """Pay what the organization's active rules give for this event. `customer` (and the
    referee of a REFERRAL event) must be locked by the caller. `rules`: the active rules when
    the caller already read them. `wallet_written_by_caller`: the caller writes `customer`'s
    balance afterwards in the same transaction (an order saves it with its statistics), so
    the credits here leave the row alone (one UPDATE fewer per order)."""
    if not customer.loyalty_enrolled:
        return Outcome()
    if rules is None:
        rules = await active_rules(principal.organization_id, event.kinds, conn)
    if not rules:
        return Outcome()
    history = await repository.award_history(
        [
            r.id
            for r in rules
            if r.kind in event.kinds and (r.per_customer_limit is not None or r.kind is Kind.STREAK)
        ],
        customer.id,
        conn,
    )
    candidates = await _eligible(customer, event, program, rules, history, conn)
    if not candidates:
        return Outcome()
    kept = await _within_limits(candidates, event, customer, history, conn)
    amounts: dict[uuid.UUID, tuple[int, int]] = {}
    for candidate in kept:
        points, n = amounts.get(candidate.rule.id, (0, 0))
        amounts[candidate.rule.id] = (points + candidate.points, n + 1)
    # A rule's awards of one event (a referral's two) are counted together: both or neither.
    counted = await repository.take_from_budgets(amounts, conn)
    outcome = Outcome([a for a in kept if str(a.rule.id) in counted])
    deferred = customer.id if wallet_written_by_caller else None
    await _write(principal, event, outcome, program, conn, deferred)
    return outcome


async def _write(
    principal: Principal,
    event: Event,
    outcome: Outcome,
    program: LoyaltyProgram,
    conn: BaseDBAsyncClient,
    wallet_deferred_for: uuid.UUID | None,
) -> None:
    if not outcome.awards:
        return
    order_id = event.order.order_id if event.order is not None else None
    days = program.points_expire_after_days
    expires = event.at + dt.timedelta(days=days) if days else None
    await repository.add_awards(
        [
            EarningRuleAward(
                organization_id=principal.organization_id,
                rule_id=a.rule.id,
                customer_id=a.customer.id,
                event_key=a.event_key,
                points=a.points,
                order_id=order_id,
                event_at=event.at,
            )
            for a in outcome.awards
        ],
        conn,
    )
    holders = {a.customer.id: a.customer for a in outcome.awards}
    for holder_id, holder in holders.items():
        await post_credits(
            principal,
            holder,
            [
                Movement(
                    LedgerKind.EARN,
                    a.points,
                    _reason(a.rule),
                    f"rule:{a.rule.id}:{a.event_key}",
                    order_id=order_id,
                    expires_at=expires,
                    earning_rule_id=a.rule.id,
                )
                for a in outcome.awards
                if a.customer.id == holder_id
            ],
            conn,
            save_wallet=holder_id != wallet_deferred_for,
        )
