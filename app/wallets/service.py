"""Wallet operations: earn, redeem, adjust, expire, birthday rewards, and the wallet view.

Every write takes an idempotency key: the same POS retry returns the first result instead of
writing again, and a key reused for a different request is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Protocol

from tortoise.exceptions import IntegrityError

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.transactions import atomic
from app.customers.finder import normalized_identifier
from app.customers.repository import visibility
from app.models.customer import Customer
from app.models.wallet import LedgerEntry, LedgerKind
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram, Tier
from app.wallets import repository
from app.wallets.errors import WalletErrorCode as Code
from app.wallets.ledger import Movement, lock_customer, post
from app.wallets.liability import LedgerPeriod as LedgerPeriod
from app.wallets.liability import LedgerSummaryRow as LedgerSummaryRow
from app.wallets.liability import PointsLiability as PointsLiability
from app.wallets.liability import ledger_summary as ledger_summary
from app.wallets.liability import points_liability as points_liability

MAX_POINTS_PER_ENTRY = 10_000_000
MAX_REASON = 200
MAX_IDEMPOTENCY_KEY = 200
EXPIRING_SOON_DAYS = 30


class WalletHolder(Protocol):
    """A customer row, or the narrow row the POS lookup reads."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def points_balance(self) -> int: ...
    @property
    def lifetime_points(self) -> int: ...


@dataclass(frozen=True)
class WalletView:
    customer_id: uuid.UUID
    balance: int
    lifetime_points: int
    tier: Tier | None
    next_tier: Tier | None

    @property
    def points_to_next_tier(self) -> int | None:
        if self.next_tier is None:
            return None
        return max(self.next_tier.min_lifetime_points - self.lifetime_points, 0)

    @classmethod
    def of(cls, customer: WalletHolder, program: LoyaltyProgram) -> WalletView:
        tier, next_tier = program.tier_for(customer.lifetime_points)
        return cls(customer.id, customer.points_balance, customer.lifetime_points, tier, next_tier)


@dataclass(frozen=True)
class WalletResult:
    wallet: WalletView
    entry: LedgerEntry
    # True when the idempotency key had been used: nothing was written this time.
    replayed: bool


def _check_points(points: int, *, signed: bool) -> None:
    if points == 0 or (not signed and points < 0):
        raise DomainError(
            Code.INVALID_POINTS,
            "Points must be a positive whole number." if not signed else "Points must not be 0.",
            "points",
        )
    if abs(points) > MAX_POINTS_PER_ENTRY:
        raise DomainError(Code.INVALID_POINTS, "Too many points in one entry.", "points")


def _check_text(reason: str, key: str | None) -> tuple[str, str | None]:
    text = " ".join(reason.split())
    if not text:
        raise DomainError(Code.REASON_REQUIRED, "Give a reason.", "reason")
    if len(text) > MAX_REASON:
        raise DomainError(Code.INVALID, "The reason is longer than 200 characters.", "reason")
    if key is not None:
        key = key.strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise DomainError(
                Code.INVALID, "The idempotency key must have 1 to 200 characters.", "idempotencyKey"
            )
    return text, key


async def _replay(
    principal: Principal, key: str | None, customer_id: uuid.UUID, kind: LedgerKind, points: int
) -> WalletResult | None:
    if key is None:
        return None
    entry = await repository.entry_by_key(principal.organization_id, key)
    if entry is None:
        return None
    if entry.customer_id != customer_id or entry.kind is not kind or entry.points != points:
        raise DomainError(
            Code.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different request.",
            "idempotencyKey",
        )
    # The entry's customer, scoped: a merge since then may have moved it, so not `by_id`.
    customer = await visibility.scoped(principal).get(id=customer_id)
    program = await load_program(principal.organization_id)
    view = WalletView.of(customer, program)
    # The first response reported the balance right after the entry.
    first = WalletView(
        view.customer_id, entry.balance_after, view.lifetime_points, view.tier, view.next_tier
    )
    return WalletResult(first, entry, replayed=True)


async def _holder(principal: Principal, customer_id: uuid.UUID) -> Customer:
    customer = await visibility.by_id(principal, customer_id)
    if customer is None:
        raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
    return customer


async def move_points(
    principal: Principal, customer_id: uuid.UUID, movement: Movement
) -> WalletResult:
    """Apply one movement with idempotency; the customer must be live (merges resolved)."""
    holder = await _holder(principal, customer_id)
    replay = await _replay(
        principal, movement.idempotency_key, holder.id, movement.kind, movement.points
    )
    if replay is not None:
        return replay
    try:
        async with atomic() as conn:
            customer = await lock_customer(principal, holder.id, conn)
            if customer is None:
                raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
            entry = await post(principal, customer, movement, conn)
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer as it did.
        replay = await _replay(
            principal, movement.idempotency_key, holder.id, movement.kind, movement.points
        )
        if replay is None:
            raise
        return replay
    program = await load_program(principal.organization_id)
    return WalletResult(WalletView.of(customer, program), entry, replayed=False)


async def earn(
    principal: Principal, customer_id: uuid.UUID, points: int, reason: str, idempotency_key: str
) -> WalletResult:
    principal.require(Operation.WALLET_EARN)
    _check_points(points, signed=False)
    text, key = _check_text(reason, idempotency_key)
    program = await load_program(principal.organization_id)
    expires = (
        utcnow() + dt.timedelta(days=program.points_expire_after_days)
        if program.points_expire_after_days
        else None
    )
    return await move_points(
        principal, customer_id, Movement(LedgerKind.EARN, points, text, key, expires_at=expires)
    )


async def redeem(
    principal: Principal, customer_id: uuid.UUID, points: int, reason: str, idempotency_key: str
) -> WalletResult:
    principal.require(Operation.WALLET_REDEEM)
    _check_points(points, signed=False)
    text, key = _check_text(reason, idempotency_key)
    return await move_points(
        principal, customer_id, Movement(LedgerKind.REDEEM, -points, text, key)
    )


async def adjust(
    principal: Principal,
    customer_id: uuid.UUID,
    points: int,
    reason: str,
    idempotency_key: str | None = None,
) -> WalletResult:
    """A staff correction, up or down; it does not count toward tiers."""
    principal.require(Operation.WALLET_ADJUST)
    _check_points(points, signed=True)
    text, key = _check_text(reason, idempotency_key)
    return await move_points(principal, customer_id, Movement(LedgerKind.ADJUST, points, text, key))


async def wallet_holder(
    principal: Principal,
    *,
    customer_id: uuid.UUID | None = None,
    phone: str | None = None,
    email: str | None = None,
    external_reference: str | None = None,
) -> WalletHolder | None:
    """The POS lookup: one indexed query on the customer row, which caches the wallet."""
    principal.require(Operation.WALLET_READ)
    if customer_id is not None:
        if any(k is not None for k in (phone, email, external_reference)):
            raise DomainError(Code.INVALID, "Give exactly one key.")
        return await visibility.by_id_or_unavailable(principal, customer_id)
    key = await normalized_identifier(
        principal, email=email, phone=phone, external_reference=external_reference
    )
    if key is None:
        return None
    return await visibility.wallet_row_by_identifier(principal, *key)


async def wallet_of(principal: Principal, customer: WalletHolder) -> WalletView:
    # No check of its own: the caller read this row under its own permission (a customer
    # query, the POS lookup, an order or a points movement), and the view adds only the tier.
    return WalletView.of(customer, await load_program(principal.organization_id))


async def points_expiring(
    principal: Principal,
    customer_id: uuid.UUID,
    within_days: int = EXPIRING_SOON_DAYS,
    now: dt.datetime | None = None,
) -> int:
    # Whoever may see a wallet (customer readers, the POS, an order's payload) sees this part.
    principal.require_any(Operation.WALLET_READ, Operation.CUSTOMER_READ, Operation.ORDER_WRITE)
    until = (now or utcnow()) + dt.timedelta(days=within_days)
    return await repository.expiring_total(principal.organization_id, customer_id, until)


async def expire_due_points(
    principal: Principal, now: dt.datetime | None = None, batch: int = 1000
) -> int:
    """Expire every lot of the organization past its date. Safe to run twice: each lot's
    expiry has the idempotency key `expire:<lot id>` and a lot is expired only once."""
    principal.require_system()
    now = now or utcnow()
    expired = 0
    while True:
        lots = await repository.due_lots(principal.organization_id, now, batch)
        if not lots:
            return expired
        for lot in lots:
            async with atomic() as conn:
                customer = await lock_customer(principal, lot.customer_id, conn)  # type: ignore[arg-type]
                fresh = await repository.lot(lot.id, conn)
                if customer is None or fresh is None or fresh.remaining <= 0:
                    continue
                await post(
                    principal,
                    customer,
                    Movement(
                        LedgerKind.EXPIRE,
                        -fresh.remaining,
                        "points expired",
                        f"expire:{lot.id}",
                        prefer_lot_id=lot.id,
                    ),
                    conn,
                )
                expired += 1
