"""The jobs of the imports domain, as services ask for them (see `app.core.jobs`)."""

from __future__ import annotations

import uuid

from app.core.jobs import Job

RUN_IMPORT = "run_import"


def arq_job_id(job_id: uuid.UUID) -> str:
    return f"import:{job_id}"


def run_import(job_id: uuid.UUID) -> Job:
    """Run one import job; its id is the only argument (no personal data in Redis)."""
    return Job(RUN_IMPORT, (str(job_id),), job_id=arq_job_id(job_id))
