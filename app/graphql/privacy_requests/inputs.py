from __future__ import annotations

import strawberry

from app.graphql.enums import PrivacyRequestKind
from app.graphql.pagination import SortDirection
from app.privacy_requests.sorting import PrivacyRequestSortField


@strawberry.input(description="Name the customer by exactly one of customerId, email, phone.")
class PrivacyRequestCreateInput:
    kind: PrivacyRequestKind
    customer_id: strawberry.ID | None = None
    email: str | None = None
    phone: str | None = None
    reason: str = strawberry.field(
        default="", description="Why (shown to staff; keep personal data out of it)."
    )


strawberry.enum(
    PrivacyRequestSortField,
    description="DUE_AT ascending: the most urgent first. COMPLETED_AT: NULL while open "
    "(sorted last ascending).",
)


@strawberry.input(description="The order of privacy requests; ties are broken by id.")
class PrivacyRequestSortInput:
    field: PrivacyRequestSortField
    direction: SortDirection = SortDirection.ASC
