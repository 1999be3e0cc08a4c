from __future__ import annotations

import strawberry

from app.graphql.enums import IdentifierStatus
from app.privacy.service import StatusAnswer


@strawberry.type(name="IdentifierStatusResult")
class IdentifierStatusType:
    status: IdentifierStatus
    survivor_id: strawberry.ID | None = strawberry.field(
        description="For MERGED: the customer the identifier now leads to (null if that one "
        "is no longer live)."
    )

    @classmethod
    def of(cls, answer: StatusAnswer) -> IdentifierStatusType:
        survivor = answer.survivor_id
        return cls(
            status=answer.status,
            survivor_id=strawberry.ID(str(survivor)) if survivor is not None else None,
        )
