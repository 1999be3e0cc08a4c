from __future__ import annotations

import strawberry


@strawberry.input
class OrganizationUpdateInput:
    name: str | None = None
    default_region: str | None = None
    timezone: str | None = None
