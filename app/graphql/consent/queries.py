from __future__ import annotations

import strawberry

from app.consent.messages import SmsMessageStatus, sms_messages
from app.consent.settings import get_sms_settings
from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.consent.types import SmsMessageType, SmsSettingsType
from app.graphql.context import Info
from app.graphql.pagination import Connection, build_connection


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="Texts to and from shoppers, newest first: the double opt-in requests, "
        "HELP and STOP answers and every reply. Needs customer read."
    )
    async def sms_messages(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        status: SmsMessageStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SmsMessageType]:
        page = await sms_messages(
            info.context.principal,
            PageRequest.of(first, after),
            customer_id=parse_id(customer_id) if customer_id is not None else None,
            status=status,
        )
        return build_connection(page, SmsMessageType.from_view)

    @strawberry.field(description="The organization's SMS sender and program settings.")
    async def sms_settings(self, info: Info) -> SmsSettingsType:
        return SmsSettingsType.from_program(await get_sms_settings(info.context.principal))
