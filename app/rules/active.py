"""The ACTIVE rules of an organization, cached in-process for a few seconds.

Every order asks which rules are active; most organizations change them rarely. As with the
organization's program (app/organizations/profile.py), a change made in this process is seen at
once (`forget`, called by the rules service after each write), another API process sees it
within `ACTIVE_RULES_SECONDS`. The cached rows are read for their settings only: the counters a
budget checks are compared in SQL (`repository.take_from_budgets`), never from this cache.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.clock import monotonic
from app.models.earning_rule import EarningRule, EarningRuleKind
from app.rules import repository

ACTIVE_RULES_SECONDS = 5.0

_cache: dict[uuid.UUID, tuple[float, list[EarningRule]]] = {}


async def active_rules(
    organization_id: uuid.UUID, kinds: Iterable[EarningRuleKind], conn: BaseDBAsyncClient
) -> list[EarningRule]:
    """The organization's ACTIVE rules of these kinds."""
    now = monotonic()
    hit = _cache.get(organization_id)
    if hit is None or hit[0] <= now:
        rules = await repository.active_of_kinds(organization_id, EarningRuleKind, conn)
        hit = (now + ACTIVE_RULES_SECONDS, rules)
        _cache[organization_id] = hit
    wanted = set(kinds)
    return [rule for rule in hit[1] if rule.kind in wanted]


def forget(organization_id: uuid.UUID) -> None:
    _cache.pop(organization_id, None)


def clear() -> None:
    _cache.clear()
