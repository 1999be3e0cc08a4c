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
    # The earning rule behind these points (a bonus, or the refund of one).
    earning_rule_id: uuid.UUID | None = None


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
        earning_rule_id=movement.earning_rule_id,
        idempotency_key=movement.idempotency_key,
        expires_at=movement.expires_at if movement.points > 0 else None,
        remaining=max(movement.points, 0),
        balance_after=customer.points_balance,
    )
    await repository.set_wallet(customer, conn)
    return entry


async def post_credits(
    principal: Principal,
    customer: Customer,
    movements: list[Movement],
    conn: BaseDBAsyncClient,
    *,
    save_wallet: bool = True,
) -> None:
    """Several credits to one locked customer in two statements (one INSERT of all entries,
    one wallet UPDATE): what the earning rules of one event write. `save_wallet=False`: the
    caller writes the row's balance itself later in the same transaction."""
    if not movements:
        return
    entries: list[LedgerEntry] = []
    for movement in movements:
        if movement.points <= 0:
            raise DomainError(WalletErrorCode.INVALID_POINTS, "Credits must be positive.", "points")
        customer.points_balance += movement.points
        if movement.kind in LIFETIME_KINDS:
            customer.lifetime_points += movement.points
        entries.append(
            LedgerEntry(
                organization_id=principal.organization_id,
                customer_id=customer.id,
                kind=movement.kind,
                points=movement.points,
                reason=movement.reason,
                actor_kind=principal.actor_kind,
                actor_id=principal.subject_id,
                order_id=movement.order_id,
                earning_rule_id=movement.earning_rule_id,
                idempotency_key=movement.idempotency_key,
                expires_at=movement.expires_at,
                remaining=movement.points,
                balance_after=customer.points_balance,
            )
        )
    await repository.append_many(entries, conn)
    if save_wallet:
        await repository.set_wallet(customer, conn)


@dataclass(frozen=True)
class MovedLot:
    """One credit a transfer wrote: its entry, points and the expiry it kept."""

    entry_id: uuid.UUID
    points: int
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class LotTransfer:
    debit_id: uuid.UUID | None
    credits: tuple[MovedLot, ...]

    @property
    def points(self) -> int:
        return sum(lot.points for lot in self.credits)


async def transfer_lots(
    principal: Principal,
    source: Customer,
    target: Customer,
    kinds: tuple[LedgerKind, LedgerKind],
    reason: str,
    conn: BaseDBAsyncClient,
    *,
    only_lots: list[uuid.UUID] | None = None,
) -> LotTransfer:
    """Move the unspent points of `source`'s lots (all of them, or `only_lots`) to `target`:
    one debit of `kinds[0]` on the source and, on the target, one credit of `kinds[1]` per
    expiry date, so every point keeps the date it expires on. Set-based: a wallet with
    thousands of lots costs a handful of statements. Both rows are locked by the caller."""
    lots = await repository.open_lot_values(source.id, conn)
    if only_lots is not None:
        wanted = set(only_lots)
        lots = [lot for lot in lots if lot[0] in wanted]
    total = sum(remaining for _, remaining, _ in lots)
    if total == 0:
        return LotTransfer(None, ())
    by_expiry: dict[dt.datetime | None, int] = {}
    for _, remaining, expires_at in sorted(lots, key=lambda e: (e[2] or _FAR_FUTURE, e[0])):
        by_expiry[expires_at] = by_expiry.get(expires_at, 0) + remaining
    await repository.empty_lots(source.id, None if only_lots is None else list(wanted), conn)
    out_kind, in_kind = kinds
    source.points_balance -= total
    debit = await repository.append(
        conn,
        organization_id=principal.organization_id,
        customer_id=source.id,
        kind=out_kind,
        points=-total,
        reason=reason,
        actor_kind=principal.actor_kind,
        actor_id=principal.subject_id,
        remaining=0,
        balance_after=source.points_balance,
    )
    credits: list[LedgerEntry] = []
    for expires_at, points in by_expiry.items():
        target.points_balance += points
        credits.append(
            LedgerEntry(
                organization_id=principal.organization_id,
                customer_id=target.id,
                kind=in_kind,
                points=points,
                reason=reason,
                actor_kind=principal.actor_kind,
                actor_id=principal.subject_id,
                expires_at=expires_at,
                remaining=points,
                balance_after=target.points_balance,
            )
        )
    await repository.append_many(credits, conn)
    await repository.set_wallet(source, conn)
    await repository.set_wallet(target, conn)
    return LotTransfer(debit.id, tuple(MovedLot(c.id, c.points, c.expires_at) for c in credits))
