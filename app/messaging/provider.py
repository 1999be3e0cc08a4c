"""The one interface every SMS provider implements, and the values it speaks in.

A send either hands the text to the provider (`SmsAccepted`, with the provider's message id)
or fails as data (`SmsFailure`): expected failures are not exceptions, because the caller, the
worker that owns the outgoing-message row, decides from `permanent` whether to retry and from
`opted_out` whether the shopper must be marked UNSUBSCRIBED. Nothing here holds a phone number
or a body beyond the call itself: they never reach a log line or an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Sender:
    """Where a text comes from: a phone number of ours, or a provider's messaging service
    (which picks the number itself). Exactly one of the two."""

    from_number: str | None = None
    messaging_service_id: str | None = None

    def __post_init__(self) -> None:
        if (self.from_number is None) == (self.messaging_service_id is None):
            raise ValueError("a sender is a from-number or a messaging service, exactly one")


@dataclass(frozen=True)
class SmsAccepted:
    message_id: str


class FailureCode(StrEnum):
    """Our own codes, for failures the provider did not give a code for."""

    NETWORK = "NETWORK"
    TIMEOUT = "TIMEOUT"
    BAD_RESPONSE = "BAD_RESPONSE"


@dataclass(frozen=True)
class SmsFailure:
    # The provider's error code (Twilio: "21610") when it sent one, else "HTTP_<status>"
    # or a `FailureCode`.
    code: str
    # Sending the same request again would fail the same way: end the message as FAILED.
    permanent: bool
    # The recipient has opted out at the carrier (Twilio 21610): stop texting them at all.
    opted_out: bool = False
    # Seconds the provider asked us to wait before trying again, when it said.
    retry_after: float | None = None
    # The request may have reached the provider before the failure: a retry may send twice.
    maybe_sent: bool = False


SendResult = SmsAccepted | SmsFailure


class SmsProvider(Protocol):
    name: str

    async def send(
        self, *, to: str, sender: Sender, body: str, status_callback: str | None = None
    ) -> SendResult:
        """Hand one text to the provider; never raises for a refusal or a network failure."""
        ...


class DeliveryState(StrEnum):
    """Where the provider says a text is, in the outgoing-message row's own words."""

    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str
    state: DeliveryState
    error_code: str | None = None
    opted_out: bool = False
