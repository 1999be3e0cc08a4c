"""Staff editing of persona roadmaps: add, edit, tick, move, delete (generated items are
dismissed so no refresh brings them back). Each call takes the principal and checks
PERSONA_EDIT; writes of one organization's roadmaps are serialized by its row lock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.transactions import atomic
from app.core.unset import UNSET, Unset
from app.models.persona import RoadmapItem, RoadmapItemSource
from app.personas import repository
from app.personas.errors import PersonaErrorCode as Code

CONNECTION = repository.CONNECTION
MAX_TITLE = 200
MAX_SETTING = 300
MAX_TEXT = 5_000


def _check_text(
    errors: list[FieldError], value: str | None, name: str, limit: int, required: bool = False
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if required and not text:
        errors.append(FieldError(Code.REQUIRED, f"{name} is required.", name))
    elif len(text) > limit:
        errors.append(FieldError(Code.INVALID, f"{name} is longer than {limit} characters.", name))
    return text


async def add_roadmap_item(
    principal: Principal,
    persona_id: uuid.UUID,
    *,
    title: str,
    rationale: str = "",
    suggested_setting: str = "",
    notes: str = "",
    done: bool = False,
) -> RoadmapItem:
    """A staff item at the end of a current persona's roadmap."""
    principal.require(Operation.PERSONA_EDIT)
    errors: list[FieldError] = []
    title_text = _check_text(errors, title, "title", MAX_TITLE, required=True)
    rationale_text = _check_text(errors, rationale, "rationale", MAX_TEXT)
    setting_text = _check_text(errors, suggested_setting, "suggestedSetting", MAX_SETTING)
    notes_text = _check_text(errors, notes, "notes", MAX_TEXT)
    if errors:
        raise ValidationFailed(errors)
    org_id = principal.organization_id
    if await repository.persona_in_current_set(org_id, persona_id) is None:
        raise DomainError(Code.NOT_FOUND, "No such persona.", "personaId")
    async with atomic(CONNECTION) as conn:
        await repository.lock_organization(conn, org_id)
        top = await repository.last_roadmap_position(org_id, persona_id, conn)
        return await repository.create_roadmap_item(
            conn,
            organization_id=org_id,
            persona_identity_id=persona_id,
            source=RoadmapItemSource.STAFF,
            title=title_text,
            rationale=rationale_text or "",
            suggested_setting=setting_text or "",
            notes=notes_text or "",
            done=done,
            position=top + 1,
        )


async def _item(principal: Principal, item_id: uuid.UUID, conn: BaseDBAsyncClient) -> RoadmapItem:
    item = await repository.live_roadmap_item(principal.organization_id, item_id, conn)
    if item is None:
        raise DomainError(Code.NOT_FOUND, "No such roadmap item.", "id")
    return item


@dataclass(frozen=True)
class RoadmapChanges:
    title: str | Unset = UNSET
    rationale: str | Unset = UNSET
    suggested_setting: str | Unset = UNSET
    done: bool | Unset = UNSET
    notes: str | Unset = UNSET


async def update_roadmap_item(
    principal: Principal, item_id: uuid.UUID, changes: RoadmapChanges
) -> RoadmapItem:
    principal.require(Operation.PERSONA_EDIT)
    errors: list[FieldError] = []
    updates: dict[str, Any] = {}
    for name, attr, limit in (
        ("title", "title", MAX_TITLE),
        ("rationale", "rationale", MAX_TEXT),
        ("suggestedSetting", "suggested_setting", MAX_SETTING),
        ("notes", "notes", MAX_TEXT),
    ):
        value = getattr(changes, attr)
        if isinstance(value, str):
            updates[attr] = _check_text(errors, value, name, limit, required=attr == "title")
    if isinstance(changes.done, bool):
        updates["done"] = changes.done
    if errors:
        raise ValidationFailed(errors)
    async with atomic(CONNECTION) as conn:
        item = await _item(principal, item_id, conn)
        if updates:
            for key, value in updates.items():
                setattr(item, key, value)
            await repository.save_roadmap_item(item, [*updates, "updated_at"], conn)
    return item


async def _renumber(order: list[RoadmapItem], conn: BaseDBAsyncClient) -> None:
    for position, item in enumerate(order):
        if item.position != position:
            item.position = position
            await repository.set_roadmap_position(item.id, position, conn)


async def move_roadmap_item(
    principal: Principal, item_id: uuid.UUID, position: int
) -> list[RoadmapItem]:
    """Put an item at `position` (0 is the top; beyond the end is the end); returns the
    persona's roadmap in its new order."""
    principal.require(Operation.PERSONA_EDIT)
    if position < 0:
        raise DomainError(Code.INVALID, "Position must be 0 or more.", "position")
    org_id = principal.organization_id
    async with atomic(CONNECTION) as conn:
        await repository.lock_organization(conn, org_id)
        item = await _item(principal, item_id, conn)
        siblings = await repository.roadmap_of(org_id, item.persona_identity_id, conn)
        order = [s for s in siblings if s.id != item.id]
        order.insert(min(position, len(order)), item)
        await _renumber(order, conn)
    return order


async def delete_roadmap_item(principal: Principal, item_id: uuid.UUID) -> uuid.UUID:
    """Staff items are deleted; generated ones are dismissed, so no refresh brings them back."""
    principal.require(Operation.PERSONA_EDIT)
    org_id = principal.organization_id
    async with atomic(CONNECTION) as conn:
        await repository.lock_organization(conn, org_id)
        item = await _item(principal, item_id, conn)
        if item.source is RoadmapItemSource.GENERATED:
            await repository.dismiss_roadmap_item(item.id, conn)
        else:
            await repository.delete_roadmap_item(item.id, conn)
        await _renumber(await repository.roadmap_of(org_id, item.persona_identity_id, conn), conn)
    return item.id
