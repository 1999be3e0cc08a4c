"""Writing ledger entries: the only code that changes a wallet balance.

Callers open a transaction and lock the customer row first (`lock_customer`); `post` then
appends the entry and updates the cached balance in that same transaction. Credits open a
"lot" (`remaining` = unspent points, with an expiry); debits consume lots oldest-expiring
first. Invariants, kept by construction and checked by a property test:
- points_balance = sum(points) of the customer's entries = sum(remaining) of its lots, >= 0
- lifetime_points = sum(points) of EARN and REFUND entries (net purchase earnings)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.customers import repository as customers
from app.models.customer import Customer
from app.models.wallet import LedgerEntry, LedgerKind
from app.wallets import repository
from app.wallets.errors import WalletErrorCode

# Kinds whose points count toward lifetime points (and so toward tiers).
LIFETIME_KINDS = frozenset({LedgerKind.EARN, LedgerKind.REFUND})
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Movement:
    kind: LedgerKind
    points: int
    reason: str
    idempotency_key: str | None = None
    order_id: uuid.UUID | None = None
    expires_at: dt.datetime | None = None
    # For debits: consume this lot before the others (a refund takes back its own order's lot).
    prefer_lot_id: uuid.UUID | None = None


async def lock_customer(
    principal: Principal, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> Customer | None:
    """The customer row, locked until the transaction ends (a no-op lock on SQLite, where
    the single connection already serializes transactions)."""
    return await customers.lock(principal.organization_id, customer_id, conn)


async def _consume_lots(
    customer: Customer, points: int, prefer: uuid.UUID | None, conn: BaseDBAsyncClient
) -> None:
    lots = await repository.open_lots(customer.id, conn)
    lots.sort(key=lambda e: (e.id != prefer, e.expires_at or _FAR_FUTURE, e.id))
    left = points
    consumed = []
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
        consumed.append(lot)
    if left:
        # The cached balance said there was enough; the lots disagree. Refuse rather than
        # let the two drift apart.
        raise RuntimeError("ledger lots do not cover the wallet balance")
    await repository.set_remaining(consumed, conn)


async def post(
    principal: Principal, customer: Customer, movement: Movement, conn: BaseDBAsyncClient
) -> LedgerEntry:
    if movement.points == 0:
        raise DomainError(WalletErrorCode.INVALID_POINTS, "Points must not be zero.", "points")
    if movement.points < 0:
        if customer.points_balance + movement.points < 0:
            raise DomainError(
                WalletErrorCode.INSUFFICIENT_POINTS,
                "The wallet does not hold that many points.",
                "points",
            )
        await _consume_lots(customer, -movement.points, movement.prefer_lot_id, conn)
    customer.points_balance += movement.points
    if movement.kind in LIFETIME_KINDS:
        customer.lifetime_points += movement.points
    entry = await repository.append(
        conn,
        organization_id=principal.organization_id,
        customer_id=customer.id,
        kind=movement.kind,
        points=movement.points,
        reason=movement.reason,
        actor_kind=principal.actor_kind,
        actor_id=principal.subject_id,
        order_id=movement.order_id,
        idempotency_key=movement.idempotency_key,
        expires_at=movement.expires_at if movement.points > 0 else None,
        remaining=max(movement.points, 0),
        balance_after=customer.points_balance,
    )
    await repository.set_wallet(customer, conn)
    return entry
