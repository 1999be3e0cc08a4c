from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import EarningRuleError
from app.graphql.payloads import Payload
from app.graphql.rules.inputs import EarningRuleCreateInput, EarningRuleFieldsInput
from app.graphql.rules.types import EarningRuleType
from app.models.earning_rule import EarningRule
from app.rules import service


@strawberry.type
class EarningRulePayload(Payload):
    earning_rule: EarningRuleType | None = None
    errors: list[EarningRuleError] = strawberry.field(default_factory=list)


Switch = Callable[[Principal, uuid.UUID], Awaitable[EarningRule]]


async def _switch(info: Info, id: strawberry.ID, switch: Switch) -> EarningRulePayload:
    try:
        rule = await switch(info.context.principal, parse_id(id))
    except DomainError as exc:
        return EarningRulePayload.failed(exc)
    return EarningRulePayload(earning_rule=EarningRuleType.from_model(rule))


@strawberry.type
class EarningRuleMutations:
    @strawberry.mutation(description="Create an earning rule as a DRAFT; activate it to award.")
    async def earning_rule_create(
        self, info: Info, input: EarningRuleCreateInput
    ) -> EarningRulePayload:
        try:
            rule = await service.create_rule(info.context.principal, input.kind, input.to_service())
        except DomainError as exc:
            return EarningRulePayload.failed(exc)
        return EarningRulePayload(earning_rule=EarningRuleType.from_model(rule))

    @strawberry.mutation(description="Change a rule's settings (not its kind); not when archived.")
    async def earning_rule_update(
        self, info: Info, id: strawberry.ID, input: EarningRuleFieldsInput
    ) -> EarningRulePayload:
        try:
            rule = await service.update_rule(
                info.context.principal, parse_id(id), input.to_service()
            )
        except DomainError as exc:
            return EarningRulePayload.failed(exc)
        return EarningRulePayload(earning_rule=EarningRuleType.from_model(rule))

    @strawberry.mutation(description="Switch a DRAFT or PAUSED rule on.")
    async def earning_rule_activate(self, info: Info, id: strawberry.ID) -> EarningRulePayload:
        return await _switch(info, id, service.activate_rule)

    @strawberry.mutation(description="Switch an ACTIVE rule off until activated again.")
    async def earning_rule_pause(self, info: Info, id: strawberry.ID) -> EarningRulePayload:
        return await _switch(info, id, service.pause_rule)

    @strawberry.mutation(description="Retire a rule for good; its ledger entries keep naming it.")
    async def earning_rule_archive(self, info: Info, id: strawberry.ID) -> EarningRulePayload:
        return await _switch(info, id, service.archive_rule)
