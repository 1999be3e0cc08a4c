"""One batch of order rows: find the customer, skip known receipts, write orders and points.

Idempotent by receipt number, as recording an order at the till is: a receipt already recorded
with the same customer and total is `unchanged`; with another customer or total it is a
`RECEIPT_CONFLICT` row error, never a second order. A receipt repeated within the file is a
`DUPLICATE_IN_FILE` error naming the first row.

With `award_points`, each new order earns `program.points_for(total)` (enrolled customers only)
as an EARN ledger entry whose lot expires like one earned at the till (from the order date),
and the customer's balance, lifetime points and order statistics move in the same transaction:
points_balance = sum of the ledger = sum of the lots, lifetime_points = sum of EARN and REFUND.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.core.ids import new_id
from app.customers.repository import visibility
from app.imports.customers import BatchOutcome
from app.imports.errors import RowErrorCode as RowCode
from app.imports.mapping import ColumnPlan
from app.imports.repository import lookups
from app.imports.repository import wallets as wallet_rows
from app.imports.repository.batch import (
    BatchSql,
    as_datetime,
    as_decimal,
    as_uuid,
    dump_json,
    model_columns,
    model_defaults,
)
from app.imports.rows import OrderRow, RowError
from app.imports.seen import BatchClaims, Key
from app.imports.suppression import Suppression
from app.models.audit import ActorKind
from app.models.customer import CustomerStatus
from app.models.order import Order, OrderItem, OrderStatus
from app.models.wallet import LedgerEntry, LedgerKind
from app.organizations.program import LoyaltyProgram

CENT = Decimal("0.01")
IMPORTED_SKU = "IMPORTED"
# Customer key columns of an order row, by priority.
CUSTOMER_KEYS = (
    ("external_reference", "customerExternalReference"),
    ("email", "customerEmail"),
    ("phone", "customerPhone"),
    ("id", "customerId"),
)


class ConcurrentWrite(Exception):
    """Another transaction wrote one of the batch's receipts first: the batch is retried."""


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: uuid.UUID
    status: CustomerStatus


@dataclass
class OrderDecisions(BatchOutcome):
    new: list[tuple[OrderRow, uuid.UUID]] = field(default_factory=list)


def row_keys(row: OrderRow) -> list[Key]:
    keys: list[Key] = []
    if row.external_reference:
        keys.append(("external_reference", row.external_reference))
    if row.email:
        keys.append(("email", row.email))
    if row.phone:
        keys.append(("phone", row.phone))
    if row.customer_id:
        keys.append(("id", str(row.customer_id)))
    return keys


class OrderDecider:
    def __init__(
        self,
        plan: ColumnPlan,
        customers: dict[Key, CustomerRef],
        receipts: dict[str, tuple[uuid.UUID | None, Decimal]],
        claims: BatchClaims,
        suppression: Suppression,
    ) -> None:
        self.plan = plan
        self.customers = customers
        self.receipts = receipts
        self.claims = claims
        self.suppression = suppression
        self.result = OrderDecisions()

    def _error(self, row: OrderRow, field_name: str | None, code: RowCode, text: str) -> None:
        column = self.plan.column_of(field_name) if field_name else None
        self.result.errors.append(RowError(row.row, column, code, text))
        self.result.invalid += 1

    def decide(self, row: OrderRow) -> None:
        claim: Key = ("receipt", row.receipt_number)
        first = self.claims.first_row(claim)
        if first is not None:
            self._error(
                row,
                "receiptNumber",
                RowCode.DUPLICATE_IN_FILE,
                f"Same receipt number as row {first}.",
            )
            return
        keys = row_keys(row)
        if self.suppression.is_suppressed(keys, None):
            self.result.suppressed += 1
            self.claims.claim([claim], row.row)
            return
        customer = next((self.customers[k] for k in keys if k in self.customers), None)
        if customer is None:
            used = next(f for c, f in CUSTOMER_KEYS if any(k[0] == c for k in keys))
            self._error(row, used, RowCode.CUSTOMER_NOT_FOUND, "No customer matches this row.")
            return
        if self.suppression.is_suppressed(keys, customer.status):
            self.result.suppressed += 1
            self.claims.claim([claim], row.row)
            return
        known = self.receipts.get(row.receipt_number)
        if known is not None:
            if known == (customer.id, row.total):
                self.result.unchanged += 1
                self.claims.claim([claim], row.row)
            else:
                self._error(
                    row,
                    "receiptNumber",
                    RowCode.RECEIPT_CONFLICT,
                    "This receipt number was recorded with another customer or total.",
                )
            return
        self.result.new.append((row, customer.id))
        self.result.created += 1
        self.claims.claim([claim], row.row)


_CUSTOMER_SELECT = ("id", "status", "external_reference", "email", "phone")


async def load_customers(
    sql: BatchSql, organization_id: uuid.UUID, keys: list[Key]
) -> dict[Key, CustomerRef]:
    by_column: dict[str, set[str]] = {c: set() for c, _ in CUSTOMER_KEYS}
    for column, value in keys:
        by_column[column].add(value)
    rows = await lookups.customers_holding(sql, organization_id, by_column, _CUSTOMER_SELECT)
    found: dict[Key, CustomerRef] = {}
    for customer_id, status, reference, email, phone in rows:
        ref = CustomerRef(as_uuid(customer_id) or uuid.UUID(int=0), CustomerStatus(status))
        found[("id", str(ref.id))] = ref
        for column, value in (
            ("external_reference", reference),
            ("email", email),
            ("phone", phone),
        ):
            if value:
                found[(column, value)] = ref
    await _follow_merges(sql, organization_id, by_column, found)
    return found


async def _follow_merges(
    sql: BatchSql,
    organization_id: uuid.UUID,
    by_column: dict[str, set[str]],
    found: dict[Key, CustomerRef],
) -> None:
    """A merged customer's old id or identifiers match its current survivor."""
    for column, values in by_column.items():
        if column == "id":
            for value in values:
                ref = found.get(("id", value))
                if ref is not None and ref.status is CustomerStatus.MERGED:
                    row = (
                        await visibility.rows_of(organization_id).using_db(sql.conn).get(id=ref.id)
                    )
                    survivor = await visibility.survivor_in(organization_id, row, sql.conn)
                    if survivor is not None:
                        found[("id", value)] = CustomerRef(survivor.id, survivor.status)
            continue
        unknown = sorted(v for v in values if (column, v) not in found)
        holders = await visibility.alias_holders(organization_id, column, unknown, sql.conn)
        for value, survivor in holders.items():
            found[(column, value)] = CustomerRef(survivor.id, survivor.status)


async def load_receipts(
    sql: BatchSql, organization_id: uuid.UUID, receipts: list[str]
) -> dict[str, tuple[uuid.UUID | None, Decimal]]:
    rows = await lookups.receipts(sql, organization_id, receipts)
    return {r: (as_uuid(c), as_decimal(t).quantize(CENT)) for r, c, t in rows}


@dataclass
class _Wallet:
    points_balance: int
    lifetime_points: int
    order_count: int
    total_spent: Decimal
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    loyalty_enrolled: bool


@dataclass(frozen=True)
class OrderWriter:
    organization_id: uuid.UUID
    now: dt.datetime
    program: LoyaltyProgram
    award_points: bool
    actor_kind: ActorKind
    actor_id: uuid.UUID | None

    async def _lock(self, sql: BatchSql, ids: list[uuid.UUID]) -> dict[uuid.UUID, _Wallet]:
        rows = await wallet_rows.lock_wallets(sql, ids)
        wallets: dict[uuid.UUID, _Wallet] = {}
        for customer_id, balance, lifetime, count, spent, first, last, enrolled in rows:
            key = as_uuid(customer_id)
            assert key is not None
            wallets[key] = _Wallet(
                int(balance),
                int(lifetime),
                int(count),
                as_decimal(spent),
                as_datetime(first),
                as_datetime(last),
                bool(enrolled),
            )
        return wallets

    async def write(self, sql: BatchSql, decisions: OrderDecisions) -> None:
        if not decisions.new:
            return
        wallets = await self._lock(sql, sorted({cid for _, cid in decisions.new}))
        order_columns = model_columns(Order)
        order_defaults = model_defaults(Order, self.now)
        item_columns = model_columns(OrderItem)
        item_defaults = model_defaults(OrderItem, self.now)
        ledger_columns = model_columns(LedgerEntry)
        ledger_defaults = model_defaults(LedgerEntry, self.now)
        orders: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        touched: set[uuid.UUID] = set()
        expiry = self.program.points_expire_after_days
        for row, customer_id in decisions.new:
            wallet = wallets.get(customer_id)
            if wallet is None:
                raise ConcurrentWrite("a customer of the batch disappeared")
            touched.add(customer_id)
            order_id = new_id()
            points = 0
            if self.award_points and wallet.loyalty_enrolled:
                points = self.program.points_for(row.total)
            record = dict(order_defaults)
            record.update(
                id=order_id,
                organization_id=self.organization_id,
                customer_id=customer_id,
                store_id=row.store_id,
                receipt_number=row.receipt_number,
                total=row.total,
                placed_at=row.placed_at,
                status=OrderStatus.COMPLETED.value,
                points_earned=points,
                units=row.units,
            )
            orders.append(tuple(record[c] for c in order_columns))
            items.extend(self._items(order_id, row, item_defaults, item_columns))
            if points > 0:
                wallet.points_balance += points
                wallet.lifetime_points += points
                entry = dict(ledger_defaults)
                entry.update(
                    id=new_id(),
                    organization_id=self.organization_id,
                    customer_id=customer_id,
                    kind=LedgerKind.EARN.value,
                    points=points,
                    reason="order",
                    actor_kind=self.actor_kind.value,
                    actor_id=self.actor_id,
                    order_id=order_id,
                    idempotency_key=f"order:{order_id}",
                    expires_at=row.placed_at + dt.timedelta(days=expiry) if expiry else None,
                    remaining=points,
                    balance_after=wallet.points_balance,
                )
                entries.append(tuple(entry[c] for c in ledger_columns))
            wallet.order_count += 1
            wallet.total_spent = (wallet.total_spent + row.total).quantize(CENT)
            if wallet.first_order_at is None or row.placed_at < wallet.first_order_at:
                wallet.first_order_at = row.placed_at
            if wallet.last_order_at is None or row.placed_at > wallet.last_order_at:
                wallet.last_order_at = row.placed_at
        inserted = await sql.insert_new(
            "customer_order", order_columns, orders, ("organization_id", "receipt_number")
        )
        if inserted != len(orders):
            raise ConcurrentWrite("a receipt of the batch was recorded meanwhile")
        await sql.insert("order_item", item_columns, items)
        await sql.insert("ledger_entry", ledger_columns, entries)
        await self._save_wallets(sql, {cid: wallets[cid] for cid in sorted(touched)})

    def _items(
        self,
        order_id: uuid.UUID,
        row: OrderRow,
        defaults: dict[str, Any],
        columns: tuple[str, ...],
    ) -> list[tuple[Any, ...]]:
        """One item per category (the total split across them), or one item for tags only."""
        categories: list[str | None] = list(row.categories) or ([None] if row.tags else [])
        if not categories:
            return []
        share = (row.total / len(categories)).quantize(CENT)
        first = row.total - share * (len(categories) - 1)
        out = []
        for position, category in enumerate(categories):
            record = dict(defaults)
            record.update(
                id=new_id(),
                order_id=order_id,
                sku=IMPORTED_SKU,
                category=category,
                tags=dump_json(list(row.tags)),
                # One line carries the order's units; several split the total, not the units.
                quantity=row.units if len(categories) == 1 and row.units else 1,
                price=first if position == 0 else share,
            )
            out.append(tuple(record[c] for c in columns))
        return out

    async def _save_wallets(self, sql: BatchSql, wallets: dict[uuid.UUID, _Wallet]) -> None:
        if not wallets:
            return
        await wallet_rows.save_wallets(
            sql,
            self.now,
            [
                (
                    customer_id,
                    w.points_balance,
                    w.lifetime_points,
                    w.order_count,
                    w.total_spent,
                    w.first_order_at,
                    w.last_order_at,
                )
                for customer_id, w in wallets.items()
            ],
        )
