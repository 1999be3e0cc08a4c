from __future__ import annotations

import strawberry

from app.core.unset import UNSET as SERVICE_UNSET
from app.personas.service import RoadmapChanges


@strawberry.input(description="A roadmap item staff add to a persona.")
class RoadmapItemInput:
    title: str
    rationale: str = ""
    suggested_setting: str = ""
    notes: str = ""
    done: bool = False


@strawberry.input(description="Fields of a roadmap item. Omitted or null fields stay as they are.")
class RoadmapItemUpdateInput:
    title: str | None = strawberry.UNSET
    rationale: str | None = strawberry.UNSET
    suggested_setting: str | None = strawberry.UNSET
    done: bool | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET

    def to_changes(self) -> RoadmapChanges:
        def given(value: object) -> object:
            return SERVICE_UNSET if value is strawberry.UNSET or value is None else value

        return RoadmapChanges(
            title=given(self.title),  # type: ignore[arg-type]
            rationale=given(self.rationale),  # type: ignore[arg-type]
            suggested_setting=given(self.suggested_setting),  # type: ignore[arg-type]
            done=given(self.done),  # type: ignore[arg-type]
            notes=given(self.notes),  # type: ignore[arg-type]
        )
