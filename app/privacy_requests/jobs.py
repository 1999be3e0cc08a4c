"""The jobs of privacy requests, as services ask for them (see `app.core.jobs`)."""

from __future__ import annotations

import uuid

from app.core.jobs import Job

CARRY_OUT_PRIVACY_REQUEST = "carry_out_privacy_request"


def carry_out(organization_id: uuid.UUID, request_id: uuid.UUID) -> Job:
    """Carry out one request (ids only: the request row holds the intent)."""
    return Job(
        CARRY_OUT_PRIVACY_REQUEST,
        (str(organization_id), str(request_id)),
        job_id=f"privacy:{request_id}",
    )
