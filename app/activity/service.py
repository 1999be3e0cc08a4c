"""One timeline per customer: orders, ledger entries and audit events, newest first.

All three tables use time-ordered ids, so one cursor (the last id seen) pages through the
merge of the three: each page reads at most first+1 rows of each table by index.
"""

from __future__ import annotations

import uuid
from typing import TypeAlias

from app.audit import repository as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest
from app.models.audit import AuditEvent
from app.models.order import Order
from app.models.wallet import LedgerEntry
from app.orders import repository as orders
from app.wallets import repository as ledger

ActivityRecord: TypeAlias = Order | LedgerEntry | AuditEvent


async def customer_activity(
    principal: Principal, customer_id: uuid.UUID, page: PageRequest
) -> Page[ActivityRecord]:
    principal.require(Operation.CUSTOMER_READ)
    org = principal.organization_id
    limit = page.first + 1

    async def count() -> int:
        return (
            await orders.count_of_customer(org, customer_id)
            + await ledger.count_of_customer(org, customer_id)
            + await audit.count(org, subject_id=customer_id)
        )

    rows: list[ActivityRecord] = [
        *await orders.newest_of_customer(org, customer_id, limit, page.after),
        *await ledger.newest_of_customer(org, customer_id, limit, page.after),
        *await audit.newest_first(org, limit, subject_id=customer_id, before=page.after),
    ]
    rows.sort(key=lambda r: r.id, reverse=True)
    return Page.from_overfetch(rows[:limit], page, count)
