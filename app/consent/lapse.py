"""The 30-day lapse: a PENDING SMS request nobody answered becomes NOT_SUBSCRIBED.

Run daily by the worker's cron. It changes the state, with an evidence row (source LAPSE),
and never texts: a confirmation still waiting for quiet hours is refused by the sender
(NOT_PENDING) when its time comes. "Older than 30 days" is measured from the latest PENDING
request, so a customer asked again last week keeps their new request.
"""

from __future__ import annotations

import datetime as dt

from app.consent import repository
from app.core.clock import utcnow
from app.core.transactions import atomic
from app.models.consent import ConsentSource
from app.models.customer import SmsState

PENDING_LIFETIME = dt.timedelta(days=30)
_BATCH = 500


async def lapse_pending(now: dt.datetime | None = None) -> int:
    """Lapse every expired PENDING request; the number of customers lapsed."""
    before = (now or utcnow()) - PENDING_LIFETIME
    lapsed = 0
    while batch := await repository.lapsed_pending(before, _BATCH):
        done = 0
        async with atomic() as conn:
            for organization_id, customer_id in batch:
                event = await repository.change_sms_state(
                    organization_id,
                    customer_id,
                    from_states=(SmsState.PENDING,),
                    to_state=SmsState.NOT_SUBSCRIBED,
                    source=ConsentSource.LAPSE,
                    text=f"No reply to the confirmation text within {PENDING_LIFETIME.days} days.",
                    message_id=None,
                    conn=conn,
                )
                done += event is not None
        lapsed += done
        if done == 0:
            break  # every row of the batch changed under us; the next run takes them
    return lapsed
