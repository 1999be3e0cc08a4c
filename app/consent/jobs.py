"""The consent jobs services ask for (see `app.core.jobs`)."""

from __future__ import annotations

import uuid

from app.core.jobs import Job

SEND_IMPORT_OPT_INS = "send_import_opt_ins"


def send_import_opt_ins(organization_id: uuid.UUID, import_job_id: uuid.UUID) -> Job:
    """Queue the double opt-in texts of the customers one import put in PENDING.

    One job per import (its id names the import), so a job finishing twice asks once.
    """
    return Job(
        SEND_IMPORT_OPT_INS,
        (str(organization_id), str(import_job_id)),
        job_id=f"import-opt-ins:{import_job_id}",
    )
