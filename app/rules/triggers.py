"""Where the rest of the program calls the earning rules: an order, its refund, a new customer,
a profile update. Each runs inside the caller's transaction with the customer row locked.

`app.customers.service` calls `on_customer_created` / `on_customer_updated` although customers
sit below rules in the domain layers: the call happens inside the customer's own transaction
(a bonus must commit or roll back with the enrolment), so a job or an event bus would lose that.
.importlinter lists that import (`app.customers.service -> app.rules.triggers`) as an allowed
upward one, with this reason; this module is the only entry point it uses.
"""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.customers import repository as customers
from app.models.customer import Customer
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.order import Order
from app.models.wallet import LedgerKind
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram
from app.rules import repository
from app.rules.active import active_rules
from app.rules.evaluation import ORDER_KINDS, Event, OrderFacts, Outcome, award
from app.wallets.ledger import Movement, post
from app.wallets.rewards import post_referral_bonuses


async def on_order(
    principal: Principal,
    customer: Customer,
    facts: OrderFacts,
    placed_at: dt.datetime,
    program: LoyaltyProgram,
    conn: BaseDBAsyncClient,
) -> Outcome:
    """After the base EARN and the order statistics (counted on `customer`, written by the
    caller afterwards with the wallet): FIRST_ORDER, ORDER_MULTIPLIER, STREAK and MILESTONE
    rules, checked against the order's time."""
    event = Event(ORDER_KINDS, placed_at, order=facts)
    return await award(principal, customer, event, program, conn, wallet_written_by_caller=True)


async def reverse_order(
    principal: Principal, customer: Customer, order: Order, text: str, conn: BaseDBAsyncClient
) -> int:
    """Take back what the order earned through rules, one REFUND entry per rule (naming it),
    each from its own lot first and never below a zero balance. Returns the points taken."""
    awards = await repository.open_awards_of_order(order.id, conn)
    if not awards:
        return 0
    lots = await repository.rule_lots_of_order(order.id, conn)
    taken_total = 0
    for given in awards:
        taken = min(given.points, customer.points_balance)
        rule_id = uuid.UUID(str(given.rule_id))
        if taken > 0:
            await post(
                principal,
                customer,
                Movement(
                    LedgerKind.REFUND,
                    -taken,
                    f"order {order.status.value.lower()}: {text}"[:200],
                    f"reverse:{order.id}:{rule_id}",
                    order_id=order.id,
                    prefer_lot_id=lots.get(str(rule_id)),
                    earning_rule_id=rule_id,
                ),
                conn,
            )
            await repository.give_back(rule_id, taken, conn)
            taken_total += taken
        await repository.mark_reversed(given, conn)
    return taken_total


async def on_customer_created(
    principal: Principal,
    customer: Customer,
    referrer_id: uuid.UUID | None,
    conn: BaseDBAsyncClient,
) -> None:
    """WELCOME and PROFILE_COMPLETED for the new customer, and the referral bonus. Active
    REFERRAL rules replace the program's referral settings; without one, the program's
    `referralBonusPoints` / `refereeBonusPoints` apply as before."""
    program = await load_program(principal.organization_id)
    kinds = (Kind.WELCOME, Kind.PROFILE_COMPLETED, Kind.REFERRAL)
    rules = await active_rules(principal.organization_id, kinds, conn)
    now = utcnow()
    own = [r for r in rules if r.kind is not Kind.REFERRAL]
    await award(principal, customer, Event(kinds[:2], now), program, conn, rules=own)
    if referrer_id is None:
        return
    referrer = await customers.lock(principal.organization_id, referrer_id, conn)
    if referrer is None:
        return
    referral = [r for r in rules if r.kind is Kind.REFERRAL]
    if not referral:
        await post_referral_bonuses(principal, program, referrer, customer, conn)
        return
    event = Event((Kind.REFERRAL,), now, referee=customer)
    await award(principal, referrer, event, program, conn, rules=referral)


async def on_customer_updated(
    principal: Principal, customer_id: uuid.UUID, was_enrolled: bool, conn: BaseDBAsyncClient
) -> None:
    """PROFILE_COMPLETED after a profile update, and WELCOME when it enrolled the customer."""
    customer = await customers.lock(principal.organization_id, customer_id, conn)
    if customer is None or not customer.loyalty_enrolled:
        return
    kinds = (Kind.PROFILE_COMPLETED,) if was_enrolled else (Kind.WELCOME, Kind.PROFILE_COMPLETED)
    program = await load_program(principal.organization_id)
    await award(principal, customer, Event(kinds, utcnow()), program, conn)
