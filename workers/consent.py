"""SMS consent jobs: the daily lapse of unanswered double opt-in requests."""

from __future__ import annotations

from typing import Any

from app.consent.lapse import lapse_pending


async def lapse_sms_requests(ctx: dict[str, Any]) -> dict[str, int]:
    return {"lapsed": await lapse_pending()}
