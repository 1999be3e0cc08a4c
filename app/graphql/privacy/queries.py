from __future__ import annotations

import strawberry

from app.core.errors import DomainError, InvalidArgument
from app.graphql.context import Info
from app.graphql.privacy.types import IdentifierStatusType
from app.privacy import service
from app.privacy.throttle import StatusCheckLimiter


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Why can't I find this shopper? The state of one email or phone "
        "(exactly one): known, archived, merged, erased or blocked. Permission "
        "`privacy:identifier_status`, limited per credential (RATE_LIMITED), audited without "
        "the identifier. The blocklist itself can never be listed."
    )
    async def identifier_status(
        self, info: Info, email: str | None = None, phone: str | None = None
    ) -> IdentifierStatusType:
        context = info.context
        redis = getattr(getattr(context.request.app.state, "resources", None), "redis", None)
        try:
            answer = await service.identifier_status(
                context.principal,
                email=email,
                phone=phone,
                limiter=StatusCheckLimiter(redis) if redis is not None else None,
            )
        except DomainError as exc:
            raise InvalidArgument(exc.message) from None
        return IdentifierStatusType.of(answer)
