from __future__ import annotations

import uuid

import pytest

from app.core.errors import DomainError, Forbidden, ValidationFailed
from app.models.persona import RoadmapItemSource
from app.models.staff import Role
from app.personas import service
from app.personas.errors import PersonaErrorCode as Code
from app.personas.service import RoadmapChanges
from tests.conftest import Tenant
from tests.personas.fixtures import generate, seeded_tenant, staff


async def a_persona(tenant: Tenant) -> uuid.UUID:
    await generate(tenant)
    view = await service.overview(staff(tenant))
    return next(p.identity_id for p in view.personas if not p.is_other)


async def titles(tenant: Tenant, persona_id: uuid.UUID) -> list[str]:
    items = (await service.roadmaps(staff(tenant), [persona_id]))[persona_id]
    return [i.title for i in items]


class TestAdd:
    async def test_staff_items_go_to_the_end(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        before = await titles(tenant, persona)
        item = await service.add_roadmap_item(
            staff(tenant, Role.MARKETING_ANALYST),
            persona,
            title="  Pilot a tasting club ",
            rationale="Members asked for it",
            suggested_setting="Monthly, 20 seats",
        )
        assert item.source is RoadmapItemSource.STAFF
        assert item.rule_key is None
        assert item.title == "Pilot a tasting club"
        assert await titles(tenant, persona) == [*before, "Pilot a tasting club"]

    async def test_bad_fields_are_reported_together(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        with pytest.raises(ValidationFailed) as caught:
            await service.add_roadmap_item(
                staff(tenant), persona, title=" ", suggested_setting="x" * 301
            )
        assert [(e.code, e.field) for e in caught.value.errors] == [
            (Code.REQUIRED, "title"),
            (Code.INVALID, "suggestedSetting"),
        ]

    async def test_unknown_persona_is_not_found(self) -> None:
        tenant = await seeded_tenant(300)
        await generate(tenant)
        with pytest.raises(DomainError) as caught:
            await service.add_roadmap_item(staff(tenant), uuid.uuid4(), title="x")
        assert caught.value.code is Code.NOT_FOUND

    async def test_editing_needs_the_permission(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        for role in (Role.ANALYST, Role.OPERATOR, Role.STAFF):
            with pytest.raises(Forbidden):
                await service.add_roadmap_item(staff(tenant, role), persona, title="x")


class TestEdit:
    async def test_update_changes_only_what_is_given(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        item = await service.add_roadmap_item(staff(tenant), persona, title="A", notes="n")
        done = await service.update_roadmap_item(
            staff(tenant), item.id, RoadmapChanges(done=True, rationale="Because")
        )
        assert (done.title, done.notes, done.rationale, done.done) == ("A", "n", "Because", True)
        with pytest.raises(ValidationFailed):
            await service.update_roadmap_item(staff(tenant), item.id, RoadmapChanges(title=""))

    async def test_move_reorders_and_clamps(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        start = await titles(tenant, persona)
        last = await service.add_roadmap_item(staff(tenant), persona, title="Last")
        order = await service.move_roadmap_item(staff(tenant), last.id, 0)
        assert [i.title for i in order] == ["Last", *start]
        assert [i.position for i in order] == list(range(len(order)))
        order = await service.move_roadmap_item(staff(tenant), last.id, 99)
        assert [i.title for i in order] == [*start, "Last"]
        with pytest.raises(DomainError) as caught:
            await service.move_roadmap_item(staff(tenant), last.id, -1)
        assert caught.value.code is Code.INVALID

    async def test_delete_removes_staff_items_and_renumbers(self) -> None:
        tenant = await seeded_tenant(300)
        persona = await a_persona(tenant)
        start = await titles(tenant, persona)
        mine = await service.add_roadmap_item(staff(tenant), persona, title="Mine")
        await service.move_roadmap_item(staff(tenant), mine.id, 0)
        assert await service.delete_roadmap_item(staff(tenant), mine.id) == mine.id
        items = (await service.roadmaps(staff(tenant), [persona]))[persona]
        assert [i.title for i in items] == start
        assert [i.position for i in items] == list(range(len(items)))
        with pytest.raises(DomainError) as caught:
            await service.delete_roadmap_item(staff(tenant), mine.id)
        assert caught.value.code is Code.NOT_FOUND

    async def test_another_organizations_items_are_not_found(self) -> None:
        tenant = await seeded_tenant(300)
        other = await seeded_tenant(300, name="Globex")
        persona = await a_persona(tenant)
        item = await service.add_roadmap_item(staff(tenant), persona, title="Ours")
        intruder = staff(other)
        for call in (
            service.update_roadmap_item(intruder, item.id, RoadmapChanges(done=True)),
            service.move_roadmap_item(intruder, item.id, 0),
            service.delete_roadmap_item(intruder, item.id),
            service.add_roadmap_item(intruder, persona, title="Theirs"),
        ):
            with pytest.raises(DomainError) as caught:
                await call
            assert caught.value.code is Code.NOT_FOUND
        assert "Theirs" not in await titles(tenant, persona)
