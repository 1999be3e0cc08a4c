"""The providers a process sends through, chosen by configuration (`MessagingSettings`).

One `Providers` per process (the worker builds it at start-up and closes it at shutdown): the
Twilio provider keeps an HTTP connection pool, which is what makes a batch of texts cheap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.config import EmailProviderKind, MessagingSettings, SmsProviderKind
from app.messaging.email import EmailProvider
from app.messaging.outbox_provider import OUTBOX, OutboxProvider
from app.messaging.provider import Sender, SmsProvider
from app.messaging.senders import OrganizationSenders
from app.messaging.smtp import SmtpConfig, SmtpProvider
from app.messaging.twilio.client import TwilioConfig, TwilioProvider

STATUS_CALLBACK_PATH = "/webhooks/sms/twilio/status"
# The outbox provider needs no sender; the row still records one for the same shape.
_OUTBOX_SENDER = Sender(from_number="outbox")


@dataclass
class Providers:
    sms: SmsProvider
    email: EmailProvider
    sms_sender: Sender
    email_from: str
    # Where the SMS provider posts delivery reports (None: it does not).
    status_callback: str | None
    settings: MessagingSettings
    _senders: OrganizationSenders = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._senders = OrganizationSenders(self.sms_sender)

    async def sms_sender_for(self, organization_id: uuid.UUID) -> Sender:
        """The organization's own number or messaging service, else `sms_sender`."""
        if self.sms.name == OUTBOX:
            return self.sms_sender
        return await self._senders.sender_for(organization_id)

    async def aclose(self) -> None:
        for provider in (self.sms, self.email):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()


def _sms(settings: MessagingSettings) -> tuple[SmsProvider, Sender]:
    if settings.sms_provider is SmsProviderKind.OUTBOX:
        return OutboxProvider(), _OUTBOX_SENDER
    # Both were required when the settings were loaded; TwilioConfig refuses empty ones.
    config = TwilioConfig(
        settings.twilio_account_sid or "",
        settings.twilio_auth_token or "",
        settings.twilio_base_url,
    )
    sender = Sender(
        from_number=settings.sms_from, messaging_service_id=settings.sms_messaging_service
    )
    return TwilioProvider(config), sender


def _email(settings: MessagingSettings) -> EmailProvider:
    if settings.email_provider is EmailProviderKind.OUTBOX:
        return OutboxProvider()
    domain = settings.email_from.rpartition("@")[2] or "loyalty.invalid"
    return SmtpProvider(
        SmtpConfig(
            host=settings.smtp_host or "localhost",
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security=settings.smtp_security.value,
            id_domain=domain,
        )
    )


def build_providers(settings: MessagingSettings) -> Providers:
    sms, sender = _sms(settings)
    callback = None
    if settings.sms_provider is SmsProviderKind.TWILIO and settings.public_url:
        callback = settings.public_url.rstrip("/") + STATUS_CALLBACK_PATH
    return Providers(
        sms=sms,
        email=_email(settings),
        sms_sender=sender,
        email_from=settings.email_from,
        status_callback=callback,
        settings=settings,
    )
