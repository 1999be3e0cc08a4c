from __future__ import annotations

import strawberry

from app.consent import settings
from app.core.errors import DomainError
from app.graphql.consent.inputs import SmsSettingsInput
from app.graphql.consent.types import SmsSettingsType
from app.graphql.context import Info
from app.graphql.errors import SmsSettingsError
from app.graphql.payloads import Payload


@strawberry.type
class SmsSettingsPayload(Payload):
    sms_settings: SmsSettingsType | None = None
    errors: list[SmsSettingsError] = strawberry.field(default_factory=list)


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(
        description="Change the organization's SMS sender and program (owner). Every field is "
        "checked before any is stored; the change is audited."
    )
    async def sms_settings_update(self, info: Info, input: SmsSettingsInput) -> SmsSettingsPayload:
        try:
            program = await settings.update_sms_settings(info.context.principal, input.to_changes())
        except DomainError as exc:
            return SmsSettingsPayload.failed(exc)
        return SmsSettingsPayload(sms_settings=SmsSettingsType.from_program(program))
