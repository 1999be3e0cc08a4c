"""An SMTP email provider (aiosmtplib): one connection per message, TLS as configured.

SMTP answers say what happened: a 5xx reply (mailbox unknown, policy refusal) fails the same
way again and is permanent; a 4xx reply (greylisting, a full queue) passes and is retried. A
connection that could not be opened sent nothing; one lost after the DATA command may have
delivered the message, which the caller must not send again (`maybe_sent`). The server's reply
text is never kept: it often quotes the address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from app.messaging.provider import FailureCode, SendResult, SmsAccepted, SmsFailure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # "none", "starttls" or "tls" (implicit TLS, port 465 usually).
    security: str = "starttls"
    timeout_seconds: float = 30.0
    # Our host name in Message-ID headers.
    id_domain: str = "loyalty.invalid"


def _reply_failure(code: int) -> SmsFailure:
    return SmsFailure(code=f"SMTP_{code}", permanent=500 <= code < 600)


class SmtpProvider:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def aclose(self) -> None:
        return None

    def _message(
        self, *, to: str, sender: str, subject: str, body: str, message_id: str
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{message_id}@{self.config.id_domain}>"
        message.set_content(body)
        return message

    async def send(
        self, *, to: str, sender: str, subject: str, body: str, message_id: str
    ) -> SendResult:
        message = self._message(
            to=to, sender=sender, subject=subject, body=body, message_id=message_id
        )
        config = self.config
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients] or [550]
            return self._failed(_reply_failure(max(codes)), exc)
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as exc:
            # Nothing reached the server.
            return self._failed(SmsFailure(FailureCode.NETWORK, permanent=False), exc)
        except aiosmtplib.SMTPDataError as exc:
            # Refused after the content was sent: the server says it did not take it.
            return self._failed(_reply_failure(exc.code), exc)
        except aiosmtplib.SMTPResponseException as exc:
            return self._failed(_reply_failure(exc.code), exc)
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
            code = (
                FailureCode.TIMEOUT
                if isinstance(exc, aiosmtplib.SMTPTimeoutError)
                else FailureCode.NETWORK
            )
            return self._failed(SmsFailure(code, permanent=False, maybe_sent=True), exc)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return self._failed(SmsFailure(FailureCode.NETWORK, permanent=False), exc)
        return SmsAccepted(message["Message-ID"])

    def _failed(self, failure: SmsFailure, exc: Exception) -> SmsFailure:
        # The type, never the text: SMTP replies quote the recipient.
        logger.warning(
            "email.send_failed provider=%s code=%s permanent=%s error=%s",
            self.name,
            failure.code,
            failure.permanent,
            type(exc).__name__,
        )
        return failure
