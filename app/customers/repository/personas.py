"""Persona membership as an audience condition reads it (one customer, or whether it exists)."""

from __future__ import annotations

import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from app.models.persona import PersonaAssignment, PersonaSet


async def persona_known(organization_id: uuid.UUID, persona_id: uuid.UUID) -> bool:
    """Whether any persona set of the organization has this persona (its stable identity)."""
    return await PersonaSet.filter(
        organization_id=organization_id, personas__identity_id=persona_id
    ).exists()


async def in_current_persona(
    organization_id: uuid.UUID,
    persona_id: uuid.UUID,
    customer_id: uuid.UUID,
    conn: BaseDBAsyncClient | None = None,
) -> bool:
    current = (
        await PersonaSet.filter(
            organization_id=organization_id, is_current=True, personas__identity_id=persona_id
        )
        .using_db(conn)
        .first()
    )
    if current is None:
        return False
    return (
        await PersonaAssignment.filter(
            persona_set_id=current.id, persona_identity_id=persona_id, customer_id=customer_id
        )
        .using_db(conn)
        .exists()
    )
