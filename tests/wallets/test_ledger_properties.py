"""Any sequence of wallet and order operations keeps the ledger invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.orders.service import OrderInput, record_order, reverse_order
from app.wallets import service as wallets
from app.wallets.service import expire_due_points
from tests.conftest import make_tenant
from tests.wallets.helpers import assert_wallet_consistent, new_customer

operation = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500)),
    st.tuples(st.just("redeem"), st.integers(1, 600)),
    st.tuples(st.just("adjust"), st.integers(-400, 400).filter(lambda n: n != 0)),
    st.tuples(st.just("order"), st.integers(0, 900)),
    st.tuples(st.just("refund"), st.integers(0, 10)),
    st.tuples(st.just("expire"), st.integers(0, 400)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=12))
async def test_balance_is_sum_of_ledger_and_never_negative(
    ops: list[tuple[str, int]],
) -> None:
    tenant = await make_tenant("Prop")
    principal = Principal.system(tenant.organization_id)
    customer = await new_customer(principal, email="prop@example.com")
    orders = []
    for step, (kind, n) in enumerate(ops):
        key = f"k{step}"
        try:
            if kind == "earn":
                await wallets.earn(principal, customer.id, n, "test", key)
            elif kind == "redeem":
                await wallets.redeem(principal, customer.id, n, "test", key)
            elif kind == "adjust":
                await wallets.adjust(principal, customer.id, n, "test", key)
            elif kind == "order":
                result = await record_order(
                    principal,
                    OrderInput(customer.id, f"R{step}", Decimal(n) / 3, utcnow()),
                )
                orders.append(result.order.id)
            elif kind == "refund" and orders:
                await reverse_order(
                    principal, orders[n % len(orders)], void=n % 2 == 0, reason="test"
                )
            elif kind == "expire":
                # Everything earned so far expires if we look far enough ahead.
                await expire_due_points(principal, utcnow() + dt.timedelta(days=n * 2))
        except DomainError:
            pass  # a refused operation must leave the invariants intact too
        await assert_wallet_consistent(customer.id)
