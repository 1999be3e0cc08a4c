"""Queries of earning rules and their awards."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet

from app.customers.repository import visibility
from app.models.earning_rule import (
    EarningRule,
    EarningRuleAward,
    EarningRuleKind,
    EarningRuleStatus,
)
from app.models.order import Order, OrderStatus
from app.models.wallet import LedgerEntry, LedgerKind


async def save(rule: EarningRule, conn: BaseDBAsyncClient | None = None) -> None:
    await rule.save(using_db=conn)


async def get(organization_id: uuid.UUID, rule_id: uuid.UUID) -> EarningRule | None:
    return await EarningRule.filter(organization_id=organization_id, id=rule_id).first()


async def lock(
    organization_id: uuid.UUID, rule_id: uuid.UUID, conn: BaseDBAsyncClient
) -> EarningRule | None:
    return (
        await EarningRule.filter(organization_id=organization_id, id=rule_id)
        .select_for_update()
        .using_db(conn)
        .first()
    )


async def by_ids(organization_id: uuid.UUID, rule_ids: Sequence[uuid.UUID]) -> list[EarningRule]:
    if not rule_ids:
        return []
    return await EarningRule.filter(organization_id=organization_id, id__in=list(rule_ids))


def listed(organization_id: uuid.UUID, status: EarningRuleStatus | None) -> QuerySet[EarningRule]:
    query = EarningRule.filter(organization_id=organization_id)
    return query.filter(status=status) if status is not None else query


async def active_of_kinds(
    organization_id: uuid.UUID, kinds: Iterable[EarningRuleKind], conn: BaseDBAsyncClient
) -> list[EarningRule]:
    """The ACTIVE rules of these kinds: one query on the (organization, status, id) index."""
    return (
        await EarningRule.filter(
            organization_id=organization_id,
            status=EarningRuleStatus.ACTIVE,
            kind__in=list(kinds),
        )
        .using_db(conn)
        .all()
    )


async def active_of_kinds_now(
    organization_id: uuid.UUID, kinds: Iterable[EarningRuleKind]
) -> list[EarningRule]:
    """The same, outside a transaction (a job reading which rules to run)."""
    return await EarningRule.filter(
        organization_id=organization_id, status=EarningRuleStatus.ACTIVE, kind__in=list(kinds)
    )


async def enrolled_since(
    organization_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[tuple[uuid.UUID, dt.datetime]]:
    """(id, created_at) of enrolled live customers in id order after `after`: the anniversary
    job reads them in batches and keeps those enrolled on this day of an earlier year (there
    is no index on the day of the year; a daily pass over ids is cheap enough)."""
    query = visibility.live_rows_of(organization_id).filter(loyalty_enrolled=True)
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await query.order_by("id").limit(limit).values_list("id", "created_at")
    return [(uuid.UUID(str(i)), created) for i, created in rows]


async def take_from_budgets(
    amounts: dict[uuid.UUID, tuple[int, int]], conn: BaseDBAsyncClient
) -> set[str]:
    """Count the awards of one event on their rules, `amounts[rule] = (points, awards)`, each
    rule only if that keeps it within its budget; the ids of the rules counted.

    One conditional UPDATE for all of them, so concurrent events never overspend a budget: on
    PostgreSQL the row lock makes a waiting UPDATE re-check the condition against the
    committed counter; SQLite has a single writer."""
    if not amounts:
        return set()
    postgres = conn.capabilities.dialect == "postgres"
    rows: list[str] = []
    params: list[Any] = []
    for rule_id, (points, awards) in amounts.items():
        if postgres:
            n = len(params)
            rows.append(f"(${n + 1}::uuid, ${n + 2}::int, ${n + 3}::int)")
            params += [rule_id, points, awards]
        else:
            rows.append("(?, ?, ?)")
            params += [str(rule_id), points, awards]
    # Only placeholders are formatted into the statement.
    values = ", ".join(rows)
    sql = (
        f"WITH v(id, points, n) AS (VALUES {values}) "  # noqa: S608
        "UPDATE earning_rule SET points_awarded = earning_rule.points_awarded + v.points, "
        "awards_count = earning_rule.awards_count + v.n FROM v "
        "WHERE earning_rule.id = v.id AND (earning_rule.points_budget IS NULL "
        "OR earning_rule.points_awarded + v.points <= earning_rule.points_budget) "
        "RETURNING earning_rule.id"
    )
    # execute_query drops the RETURNING rows of an UPDATE on asyncpg; the dict form keeps them.
    counted = await conn.execute_query_dict(sql, params)
    return {str(row["id"]) for row in counted}


async def give_back(rule_id: uuid.UUID, points: int, conn: BaseDBAsyncClient) -> None:
    """A refund took `points` back: they no longer count against the budget."""
    await (
        EarningRule.filter(id=rule_id)
        .using_db(conn)
        .update(points_awarded=F("points_awarded") - points)
    )


async def awarded_keys(
    rule_ids: Sequence[uuid.UUID], event_keys: Sequence[str], conn: BaseDBAsyncClient
) -> set[tuple[str, str]]:
    """Which (rule id, event key) pairs already have an award."""
    if not rule_ids or not event_keys:
        return set()
    rows = (
        await EarningRuleAward.filter(rule_id__in=list(rule_ids), event_key__in=list(event_keys))
        .using_db(conn)
        .values_list("rule_id", "event_key")
    )
    return {(str(rule_id), str(key)) for rule_id, key in rows}


async def award_counts(
    rule_ids: Sequence[uuid.UUID], customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> dict[str, int]:
    """How many awards each rule gave this customer (for per-customer limits)."""
    if not rule_ids:
        return {}
    rows = (
        await EarningRuleAward.filter(rule_id__in=list(rule_ids), customer_id=customer_id)
        .using_db(conn)
        .annotate(n=Count("id"))
        .group_by("rule_id")
        .values_list("rule_id", "n")
    )
    return {str(rule_id): int(n) for rule_id, n in rows}


async def award_history(
    rule_ids: Sequence[uuid.UUID], customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> dict[str, tuple[int, dt.datetime | None]]:
    """Per rule: how many awards it gave this customer and the time of the latest event it
    paid for (per-customer limits and streaks, one grouped query for both)."""
    if not rule_ids:
        return {}
    rows = (
        await EarningRuleAward.filter(rule_id__in=list(rule_ids), customer_id=customer_id)
        .using_db(conn)
        .annotate(n=Count("id"), last=Max("event_at"))
        .group_by("rule_id")
        .values_list("rule_id", "n", "last")
    )
    return {str(rule_id): (int(n), last) for rule_id, n, last in rows}


async def completed_orders_between(
    customer_id: uuid.UUID,
    after: dt.datetime,
    until: dt.datetime,
    conn: BaseDBAsyncClient,
) -> int:
    """Completed orders of the customer placed in (after, until]."""
    return (
        await Order.filter(
            customer_id=customer_id,
            status=OrderStatus.COMPLETED,
            placed_at__gt=after,
            placed_at__lte=until,
        )
        .using_db(conn)
        .count()
    )


async def add_awards(awards: list[EarningRuleAward], conn: BaseDBAsyncClient) -> None:
    await EarningRuleAward.bulk_create(awards, using_db=conn)


async def open_awards_of_order(
    order_id: uuid.UUID, conn: BaseDBAsyncClient
) -> list[EarningRuleAward]:
    return (
        await EarningRuleAward.filter(order_id=order_id, reversed=False)
        .using_db(conn)
        .order_by("id")
        .all()
    )


async def mark_reversed(award: EarningRuleAward, conn: BaseDBAsyncClient) -> None:
    await EarningRuleAward.filter(id=award.id).using_db(conn).update(reversed=True)


async def rule_lots_of_order(order_id: uuid.UUID, conn: BaseDBAsyncClient) -> dict[str, uuid.UUID]:
    """Rule id -> the EARN entry (lot) the rule wrote for this order."""
    rows = (
        await LedgerEntry.filter(
            order_id=order_id, kind=LedgerKind.EARN, earning_rule_id__isnull=False
        )
        .using_db(conn)
        .values_list("earning_rule_id", "id")
    )
    return {str(rule_id): uuid.UUID(str(entry_id)) for rule_id, entry_id in rows}
