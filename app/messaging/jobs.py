"""The jobs of the messaging domain, as services ask for them (see `app.core.jobs`)."""

from __future__ import annotations

import datetime as dt
import uuid

from app.core.jobs import Job

SEND_MESSAGE = "send_message"


def send_message(
    message_id: uuid.UUID, *, occasion: str = "", delay: dt.timedelta | None = None
) -> Job:
    """Send one outbox message; its id is the only argument (no recipient or body in Redis).

    The first send, each retry (`retry<n>`) and the reconcile loop's resend (`reconcile`) have
    their own job ids, so one is never mistaken for the job that asked for it.
    """
    suffix = f":{occasion}" if occasion else ""
    return Job(
        SEND_MESSAGE, (str(message_id),), job_id=f"message:{message_id}{suffix}", defer_by=delay
    )
