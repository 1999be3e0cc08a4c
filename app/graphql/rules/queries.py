from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.pagination import Connection, build_connection
from app.graphql.rules.types import EarningRuleType
from app.models.earning_rule import EarningRuleStatus
from app.rules import service


@strawberry.type
class EarningRuleQueries:
    @strawberry.field(description="One earning rule.")
    async def earning_rule(self, info: Info, id: strawberry.ID) -> EarningRuleType | None:
        rule = await service.get_rule(info.context.principal, parse_id(id))
        return EarningRuleType.from_model(rule) if rule else None

    @strawberry.field(description="The organization's earning rules, oldest first.")
    async def earning_rules(
        self,
        info: Info,
        status: EarningRuleStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EarningRuleType]:
        page = await service.list_rules(
            info.context.principal, PageRequest.of(first, after), status
        )
        return build_connection(page, EarningRuleType.from_model)
