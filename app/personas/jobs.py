"""The jobs of the personas domain, as services ask for them (see `app.core.jobs`)."""

from __future__ import annotations

import uuid

from app.core.jobs import Job

REGENERATE_PERSONAS = "regenerate_personas"


def persona_job_id(persona_set_id: uuid.UUID) -> str:
    return f"personas:{persona_set_id}"


def regenerate(organization_id: uuid.UUID, persona_set_id: uuid.UUID) -> Job:
    """Generate one RUNNING persona set of the organization (ids only as arguments)."""
    return Job(
        REGENERATE_PERSONAS,
        (str(organization_id), str(persona_set_id)),
        job_id=persona_job_id(persona_set_id),
    )
