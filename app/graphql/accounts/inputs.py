from __future__ import annotations

import strawberry

from app.graphql.enums import Role


@strawberry.input
class StaffCreateInput:
    email: str
    name: str = ""
    role: Role
    password: str
