from __future__ import annotations

import datetime as dt

import strawberry

from app.consent.settings import SmsSettingsChanges


@strawberry.input(
    description="Changes to the SMS settings; an absent field stays as it is. An empty "
    "string clears fromNumber, messagingServiceSid, helpText and timeZone (their defaults)."
)
class SmsSettingsInput:
    from_number: str | None = strawberry.field(default=None, description="E.164.")
    messaging_service_sid: str | None = strawberry.field(
        default=None, description="MG followed by 32 hexadecimal digits."
    )
    program_name: str | None = strawberry.field(default=None, description="At most 40 characters.")
    description: str | None = strawberry.field(default=None, description="At most 100 characters.")
    help_text: str | None = strawberry.field(default=None, description="At most 160 characters.")
    support_contact: str | None = strawberry.field(
        default=None, description="An email, phone or web address; at most 80 characters."
    )
    frequency: str | None = strawberry.field(default=None, description="At most 40 characters.")
    quiet_hours_start: dt.time | None = strawberry.field(
        default=None, description="08:00 or later; before quietHoursEnd."
    )
    quiet_hours_end: dt.time | None = strawberry.field(
        default=None, description="21:00 or earlier."
    )
    time_zone: str | None = strawberry.field(default=None, description="An IANA zone name.")
    rate_per_second: int | None = strawberry.field(
        default=None, description="0 (no limit) to 1000."
    )

    def to_changes(self) -> SmsSettingsChanges:
        return SmsSettingsChanges(
            from_number=self.from_number,
            messaging_service_sid=self.messaging_service_sid,
            program_name=self.program_name,
            description=self.description,
            help_text=self.help_text,
            support_contact=self.support_contact,
            frequency=self.frequency,
            quiet_hours_start=self.quiet_hours_start,
            quiet_hours_end=self.quiet_hours_end,
            time_zone=self.time_zone,
            rate_per_second=self.rate_per_second,
        )
