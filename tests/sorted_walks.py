"""Walking every page of a sorted connection forward (first/after) and backward
(last/before), checking pageInfo at each step: shared by the sorted lists' tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# Fetches one page: variables in, the connection (edges, pageInfo) out.
FetchPage = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def walk_forward(fetch: FetchPage, sort: dict[str, str] | None, size: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = await fetch({"sort": sort, "first": size, "after": after})
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


async def walk_backward(fetch: FetchPage, sort: dict[str, str] | None, size: int) -> list[str]:
    seen: list[str] = []
    before = None
    while True:
        page = await fetch({"sort": sort, "last": size, "before": before})
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        seen = [edge["node"]["id"] for edge in page["edges"]] + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen
        before = page["pageInfo"]["startCursor"]
        assert before == page["edges"][0]["cursor"]


def sorted_ids(rows: list[tuple[Any, Any]], direction: str) -> list[str]:
    """(value, id) pairs in sort order: NULLs greatest, ties by id, DESC the exact reverse."""
    present = sorted((v, i) for v, i in rows if v is not None)
    missing = sorted(i for v, i in rows if v is None)
    ids = [str(i) for _, i in present] + [str(i) for i in missing]
    return ids[::-1] if direction == "DESC" else ids
