from __future__ import annotations

import pytest

from app.messaging.provider import SmsFailure
from app.messaging.twilio.errors import failure_from_answer


@pytest.mark.parametrize(
    ("status", "payload", "retry_after", "expected"),
    [
        (400, {"code": 21610}, None, SmsFailure("21610", permanent=True, opted_out=True)),
        (400, {"code": "21211"}, None, SmsFailure("21211", permanent=True)),
        (400, {"code": True}, None, SmsFailure("HTTP_400", permanent=True)),
        (404, None, None, SmsFailure("HTTP_404", permanent=True)),
        # Retry-After only matters when a retry is coming.
        (400, {"code": 21211}, "30", SmsFailure("21211", permanent=True)),
        (429, {"code": 20429}, " 12 ", SmsFailure("20429", permanent=False, retry_after=12.0)),
        (429, "Too Many Requests", "-3", SmsFailure("HTTP_429", permanent=False)),
        (429, None, "Wed, 21 Oct 2026 07:28:00 GMT", SmsFailure("HTTP_429", permanent=False)),
        (500, {"code": 20500}, None, SmsFailure("20500", permanent=False)),
        (504, [], None, SmsFailure("HTTP_504", permanent=False)),
    ],
)
def test_error_answers(
    status: int, payload: object, retry_after: str | None, expected: SmsFailure
) -> None:
    assert failure_from_answer(status, payload, retry_after) == expected
