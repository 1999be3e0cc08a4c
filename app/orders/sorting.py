"""The fields a customer's order list sorts by; each has a (customer, column, id) index."""

from __future__ import annotations

from enum import StrEnum

from app.core.sorting import Sort, SortableList, SortDirection, SortKey


class OrderSortField(StrEnum):
    PLACED_AT = "PLACED_AT"
    TOTAL = "TOTAL"


ORDER_SORTS = SortableList(
    name="orders",
    keys=(
        SortKey(OrderSortField.PLACED_AT, "placed_at", "datetime"),
        SortKey(OrderSortField.TOTAL, "total", "decimal"),
    ),
    # Without sortBy: newest recorded first, on the time-ordered id.
    default=Sort("orders", SortKey("ID", "id", "uuid"), SortDirection.DESC),
)
