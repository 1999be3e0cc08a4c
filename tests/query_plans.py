"""EXPLAIN on PostgreSQL for the sorted lists' plan tests: the nodes of a statement's plan."""

from __future__ import annotations

import json
from typing import Any

from tortoise import connections


def scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(node type, relation) of every node of a plan, top down."""
    found = [(plan["Node Type"], plan.get("Relation Name", ""))]
    for child in plan.get("Plans", []):
        found += scans(child)
    return found


async def explain(sql: str) -> list[tuple[str, str]]:
    _, rows = await connections.get("default").execute_query(f"EXPLAIN (FORMAT JSON) {sql}")
    raw = rows[0]["QUERY PLAN"]
    plan = json.loads(raw) if isinstance(raw, str) else raw
    return scans(plan[0]["Plan"])


def assert_index_order(plan: list[tuple[str, str]], table: str, where: object) -> None:
    """The table is read through an index, in the index's order: no sequential scan of it and
    no sort of the matching rows."""
    assert ("Seq Scan", table) not in plan, (where, plan)
    assert not any("Sort" in node for node, _ in plan), (where, plan)
    assert any(node.startswith("Index") and name == table for node, name in plan), (where, plan)
