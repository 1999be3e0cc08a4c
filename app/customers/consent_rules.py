"""The consent state machine for email and SMS, shared by the API and bulk imports.

Pure: takes the customer's current contact and consent values and what was asked for, and
returns the new values plus the changes to record as evidence. Raises `DomainError` when the
request cannot be honoured (an opt-in without the contact to reach).

Double opt-in: nobody but the shopper's own YES makes SMS `SUBSCRIBED`; an opt-in from staff,
an import or a signup puts the customer in `PENDING` until the confirmation text is answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import DomainError
from app.core.unset import UNSET, Unset
from app.customers.errors import CustomerErrorCode as Code
from app.models.consent import ConsentChannel
from app.models.customer import SmsState

_SMS_ON = (SmsState.SUBSCRIBED, SmsState.PENDING)


@dataclass(frozen=True)
class ConsentOutcome:
    email_opt_in: bool
    sms_state: SmsState
    changes: tuple[tuple[ConsentChannel, str], ...]


def consent_transition(
    *,
    email: str | None,
    phone: str | None,
    email_opt_in: bool,
    sms_state: SmsState,
    want_email: bool | Unset = UNSET,
    want_sms: bool | Unset = UNSET,
) -> ConsentOutcome:
    """New consent values for a customer whose contact is already the final one."""
    changes: list[tuple[ConsentChannel, str]] = []
    if want_email is not UNSET and want_email != email_opt_in:
        if want_email and not email:
            raise DomainError(
                Code.CONSENT_NEEDS_CONTACT, "Email opt-in needs an email address.", "emailOptIn"
            )
        email_opt_in = want_email
        changes.append((ConsentChannel.EMAIL, "SUBSCRIBED" if want_email else "UNSUBSCRIBED"))
    if want_sms is not UNSET:
        if want_sms:
            if not phone:
                raise DomainError(
                    Code.CONSENT_NEEDS_CONTACT, "SMS opt-in needs a phone number.", "smsOptIn"
                )
            if sms_state not in _SMS_ON:
                sms_state = SmsState.PENDING
                changes.append((ConsentChannel.SMS, SmsState.PENDING.value))
        elif sms_state in _SMS_ON:
            sms_state = SmsState.UNSUBSCRIBED
            changes.append((ConsentChannel.SMS, SmsState.UNSUBSCRIBED.value))
    if email is None and email_opt_in:
        email_opt_in = False
        changes.append((ConsentChannel.EMAIL, "UNSUBSCRIBED"))
    return ConsentOutcome(email_opt_in, sms_state, tuple(changes))
