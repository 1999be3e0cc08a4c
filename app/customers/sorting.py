"""The fields the customer list sorts by. Each has an (organization, column, id) index."""

from __future__ import annotations

from enum import StrEnum

from app.core.sorting import Sort, SortableList, SortDirection, SortKey


class CustomerSortField(StrEnum):
    LAST_ORDER_AT = "LAST_ORDER_AT"
    TOTAL_SPENT = "TOTAL_SPENT"
    ORDER_COUNT = "ORDER_COUNT"
    POINTS_BALANCE = "POINTS_BALANCE"
    CREATED_AT = "CREATED_AT"
    LAST_NAME = "LAST_NAME"
    # Predictions (app.predictions): NULL for customers the current model did not score.
    EXPECTED_SPEND = "EXPECTED_SPEND"
    PROBABILITY_ALIVE = "PROBABILITY_ALIVE"


_F = CustomerSortField

CUSTOMER_SORTS = SortableList(
    name="customers",
    keys=(
        # NULL for a customer with no order: sorted as the greatest value.
        SortKey(_F.LAST_ORDER_AT, "last_order_at", "datetime", nullable=True),
        SortKey(_F.TOTAL_SPENT, "total_spent", "decimal"),
        SortKey(_F.ORDER_COUNT, "order_count", "int"),
        SortKey(_F.POINTS_BALANCE, "points_balance", "int"),
        SortKey(_F.CREATED_AT, "created_at", "datetime"),
        # The case- and accent-folded copy, so "de Vries" sorts with "Devries", not after "Z".
        SortKey(_F.LAST_NAME, "last_name_key", "text", personal=True),
        # Spend expected over the 365 days after the model's as-of moment.
        SortKey(_F.EXPECTED_SPEND, "predicted_spend_365d", "decimal", nullable=True),
        SortKey(_F.PROBABILITY_ALIVE, "predicted_probability_alive", "decimal", nullable=True),
    ),
    # Without sortBy: creation order by time-ordered id, on the primary key.
    default=Sort("customers", SortKey("ID", "id", "uuid"), SortDirection.ASC),
)
