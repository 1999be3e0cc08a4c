from __future__ import annotations

import strawberry

from app.graphql.enums import PrivacyRequestKind


@strawberry.input(description="Name the customer by exactly one of customerId, email, phone.")
class PrivacyRequestCreateInput:
    kind: PrivacyRequestKind
    customer_id: strawberry.ID | None = None
    email: str | None = None
    phone: str | None = None
    reason: str = strawberry.field(
        default="", description="Why (shown to staff; keep personal data out of it)."
    )
