"""What Twilio's error answers mean for the text that caused them.

HTTP semantics decide most of it: a 4xx other than 429 is the request's own fault and fails
the same way again (permanent); 429 and 5xx are the provider's state and pass (retry with
backoff). Twilio's numeric code is kept as the failure's code; 21610 ("Attempt to send to
unsubscribed recipient": the shopper texted STOP to the carrier) additionally means the
customer must be marked UNSUBSCRIBED. Twilio's own message is never kept: it can quote the
phone number ("The 'To' number +1… is not a valid phone number").
"""

from __future__ import annotations

from app.messaging.provider import SmsFailure

OPTED_OUT = 21610
INVALID_TO_NUMBER = 21211
TOO_MANY_REQUESTS = 20429


def _retry_after(header: str | None) -> float | None:
    # Only the delta-seconds form: an HTTP date here would be unusual and a guess is worse
    # than our own backoff.
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def failure_from_answer(status: int, payload: object, retry_after: str | None) -> SmsFailure:
    """The failure an error answer (any status outside 2xx) stands for."""
    code: int | None = None
    if isinstance(payload, dict):
        raw = payload.get("code")
        if isinstance(raw, int) and not isinstance(raw, bool):
            code = raw
        elif isinstance(raw, str) and raw.isdigit():
            code = int(raw)
    retryable = status == 429 or status >= 500
    return SmsFailure(
        code=str(code) if code is not None else f"HTTP_{status}",
        permanent=not retryable,
        opted_out=code == OPTED_OUT,
        retry_after=_retry_after(retry_after) if retryable else None,
    )
