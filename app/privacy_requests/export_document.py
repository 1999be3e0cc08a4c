"""The export: one JSON document of everything held about a customer (and the customers merged
into it), in the shopper's own terms. Built by the worker, stored in the data directory until
its single-use link is followed or expires."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from app.models.customer import Customer
from app.privacy_requests import repository

FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    return value


def _profile(customer: Customer) -> dict[str, Any]:
    fields = (
        "id", "status", "email", "phone", "external_reference", "first_name", "last_name",
        "birthday", "city", "region", "postal_code", "country", "traits", "loyalty_enrolled",
        "favorite_store_id", "favorite_store_source", "email_opt_in", "sms_state",
        "push_opt_in", "points_balance", "lifetime_points", "order_count", "total_spent",
        "first_order_at", "last_order_at", "lifecycle_stage", "rfm_segment", "archived_at",
        "created_at",
    )  # fmt: skip
    return {_camel(name): _value(getattr(customer, name)) for name in fields}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def build(
    customer: Customer, merged: list[Customer], generated_at: dt.datetime
) -> dict[str, Any]:
    ids = [customer.id, *(m.id for m in merged)]
    orders = await repository.orders(ids)
    items = await repository.order_items([o.id for o in orders])
    items_of: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for item in items:
        items_of.setdefault(item.order_id, []).append(  # type: ignore[arg-type]
            {
                "sku": item.sku,
                "category": item.category,
                "tags": item.tags,
                "quantity": item.quantity,
                "price": _value(item.price),
            }
        )
    return {
        "format": "loyalty-customer-export",
        "version": FORMAT_VERSION,
        "generatedAt": generated_at.isoformat(),
        "customer": _profile(customer),
        "mergedCustomers": [_profile(m) for m in merged],
        "consents": [
            {
                "customerId": str(e.customer_id),
                "channel": _value(e.channel),
                "state": e.state,
                "source": _value(e.source),
                "text": e.text,
                "messageId": e.message_id,
                "at": _value(e.created_at),
            }
            for e in await repository.consent_events(ids)
        ],
        "ledger": [
            {
                "customerId": str(e.customer_id),
                "kind": _value(e.kind),
                "points": e.points,
                "reason": e.reason,
                "orderId": _value(e.order_id),
                "expiresAt": _value(e.expires_at),
                "balanceAfter": e.balance_after,
                "at": _value(e.created_at),
            }
            for e in await repository.ledger(ids)
        ],
        "orders": [
            {
                "id": str(o.id),
                "receiptNumber": o.receipt_number,
                "storeId": _value(o.store_id),
                "total": _value(o.total),
                "placedAt": _value(o.placed_at),
                "status": _value(o.status),
                "pointsEarned": o.points_earned,
                "items": items_of.get(o.id, []),
            }
            for o in orders
        ],
        "merges": [
            {
                "id": str(m.id),
                "survivorId": str(m.survivor_id),
                "mergedIds": list(m.merged_ids),
                "at": _value(m.created_at),
                "undoneAt": _value(m.undone_at),
            }
            for m in await repository.merges_of(ids)
        ],
        "persona": await repository.current_persona_name(
            customer.organization_id,  # type: ignore[arg-type]
            customer.id,
        ),
        "auditTrail": [
            {
                "action": _value(e.action),
                "actorKind": _value(e.actor_kind),
                "subjectId": str(e.subject_id),
                "at": _value(e.created_at),
            }
            for e in await repository.audit_about(
                customer.organization_id,  # type: ignore[arg-type]
                ids,
            )
        ],
    }
