"""Groups of duplicates from scored pairs, each one a merge staff could make in one step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from app.merges.rules import MAX_MERGED

MAX_GROUP = MAX_MERGED + 1


def group_pairs(
    pairs: Sequence[tuple[uuid.UUID, uuid.UUID]],
    excluded: Iterable[frozenset[uuid.UUID]] = (),
) -> list[tuple[uuid.UUID, ...]]:
    """Connected groups of the pairs, strongest pairs first (give them sorted by score).

    A pair that would put an excluded pair (dismissed, or unmerged) into one group, or grow a
    group past what one merge takes, joins nothing: the pair is still suggested on its own.
    """
    parent: dict[uuid.UUID, uuid.UUID] = {}
    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    # Excluded partners per customer, so a join checks only the customers it touches.
    apart: dict[uuid.UUID, set[uuid.UUID]] = {}
    for pair in excluded:
        a, b = tuple(pair)
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)

    def root(node: uuid.UUID) -> uuid.UUID:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        for node in (a, b):
            if node not in parent:
                parent[node] = node
                members[node] = {node}
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        left, right = members[ra], members[rb]
        if len(left) + len(right) > MAX_GROUP:
            continue
        if any(apart.get(node, set()) & right for node in left):
            continue
        if len(left) < len(right):
            ra, rb, left, right = rb, ra, right, left
        parent[rb] = ra
        left |= right
        del members[rb]
    return sorted(
        (tuple(sorted(group)) for group in members.values() if len(group) > 1),
        key=lambda group: group[0],
    )
