"""One timeline per customer: orders, ledger entries and audit events, newest first.

All three tables use time-ordered ids, so one cursor (the last id seen) pages through the
merge of the three: each page reads at most first+1 rows of each table by index.
"""

from __future__ import annotations

import uuid
from typing import TypeAlias

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest
from app.models.audit import AuditEvent
from app.models.order import Order
from app.models.wallet import LedgerEntry

ActivityRecord: TypeAlias = Order | LedgerEntry | AuditEvent


async def customer_activity(
    principal: Principal, customer_id: uuid.UUID, page: PageRequest
) -> Page[ActivityRecord]:
    principal.require(Operation.CUSTOMER_READ)
    org = principal.organization_id
    limit = page.first + 1
    orders = Order.filter(organization_id=org, customer_id=customer_id)
    entries = LedgerEntry.filter(organization_id=org, customer_id=customer_id)
    events = AuditEvent.filter(organization_id=org, subject_id=customer_id)
    counts = (orders.count, entries.count, events.count)

    async def count() -> int:
        return sum([await counted() for counted in counts])

    if page.after is not None:
        orders = orders.filter(id__lt=page.after)
        entries = entries.filter(id__lt=page.after)
        events = events.filter(id__lt=page.after)
    rows: list[ActivityRecord] = [
        *await orders.order_by("-id").limit(limit),
        *await entries.order_by("-id").limit(limit),
        *await events.order_by("-id").limit(limit),
    ]
    rows.sort(key=lambda r: r.id, reverse=True)
    return Page.from_overfetch(rows[:limit], page, count)
