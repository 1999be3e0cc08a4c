"""The organization's SMS sender settings: `smsSettings`, `smsSettingsUpdate` (validated,
audited, owner only), and the texts and replies that use them."""

from __future__ import annotations

from typing import Any

import pytest

from app.consent.program import sms_program
from app.models.message import MessagePurpose, OutboxMessage
from app.models.organization import Organization
from app.models.staff import Role
from tests.consent.conftest import SHOPPER, SmsLoop, local_time
from tests.factories import add_staff, audit_events

FIELDS = """
  fromNumber messagingServiceSid programName description helpText supportContact frequency
  quietHoursStart quietHoursEnd timeZone ratePerSecond confirmationText helpReply
"""
READ = f"{{ smsSettings {{ {FIELDS} }} }}"
UPDATE = f"""
mutation($input: SmsSettingsInput!) {{
  smsSettingsUpdate(input: $input) {{
    smsSettings {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}"""
SETTINGS: dict[str, Any] = {
    "fromNumber": "+15005550010",
    "programName": "Acme Perks",
    "description": "points updates and member offers",
    "helpText": "Acme Perks member texts",
    "supportContact": "help@acme.example",
    "frequency": "Up to 6 msgs/month",
    "quietHoursStart": "09:00:00",
    "quietHoursEnd": "20:00:00",
    "timeZone": "America/Chicago",
    "ratePerSecond": 25,
}


async def change(sms_loop: SmsLoop, token: str = "", **fields: Any) -> dict[str, Any]:
    data = await sms_loop.gql.data(UPDATE, {"input": fields}, token or sms_loop.tenant.token)
    payload: dict[str, Any] = data["smsSettingsUpdate"]
    return payload


async def stored(sms_loop: SmsLoop) -> dict[str, Any]:
    org = await Organization.get(id=sms_loop.tenant.organization_id)
    raw = (org.settings or {}).get("sms", {})
    assert isinstance(raw, dict)
    return raw


async def test_defaults_are_named_after_the_organization(sms_loop: SmsLoop) -> None:
    data = await sms_loop.gql.data(READ, token=sms_loop.tenant.token)
    settings = data["smsSettings"]
    assert settings["fromNumber"] is None
    assert settings["messagingServiceSid"] is None
    assert settings["programName"] == "Acme"
    assert settings["frequency"] == "Up to 4 msgs/month"
    assert (settings["quietHoursStart"], settings["quietHoursEnd"]) == ("08:00:00", "21:00:00")
    assert settings["timeZone"] == "UTC"
    assert settings["ratePerSecond"] == 0
    assert settings["confirmationText"].startswith("Acme: Reply YES to confirm")


async def test_an_update_is_stored_read_back_audited_and_used(sms_loop: SmsLoop) -> None:
    payload = await change(sms_loop, **SETTINGS)
    assert payload["errors"] == []
    settings = payload["smsSettings"]
    assert {k: settings[k] for k in SETTINGS} == SETTINGS
    assert settings["confirmationText"] == (
        "Acme Perks: Reply YES to confirm you want points updates and member offers. "
        "Up to 6 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel."
    )
    assert "help@acme.example" in settings["helpReply"]
    assert "Acme Perks member texts" in settings["helpReply"]
    read = await sms_loop.gql.data(READ, token=sms_loop.tenant.token)
    assert read["smsSettings"] == settings

    raw = await stored(sms_loop)
    assert raw["quiet_hours"] == ["09:00", "20:00"]
    assert raw["rate_per_second"] == 25
    org = await Organization.get(id=sms_loop.tenant.organization_id)
    program = sms_program(org.name, org.timezone, org.settings)
    # The throttle reads this name (app/consent/program.py).
    assert program.rate_per_second == 25
    assert program.zone.key == "America/Chicago"

    [event] = [
        e
        for e in await audit_events(sms_loop.gql, sms_loop.tenant.token)
        if e["action"] == "ORGANIZATION_UPDATED"
    ]
    assert event["subjectId"] == str(sms_loop.tenant.organization_id)
    # The keys changed, never their values.
    assert "sms" in event["details"]
    assert "+15005550010" not in str(event["details"])

    # The confirmation text and the HELP answer use them.
    with local_time(12):
        await sms_loop.opt_in()
        await sms_loop.run_worker()
    [text] = await OutboxMessage.filter(purpose=MessagePurpose.DOUBLE_OPT_IN)
    assert text.body == settings["confirmationText"]
    response = await sms_loop.reply("HELP", "SM" + "7" * 32, to="+15005550010")
    assert response.status_code == 200
    [answer] = await OutboxMessage.filter(purpose=MessagePurpose.HELP)
    assert answer.body == settings["helpReply"]
    assert answer.recipient == SHOPPER


async def test_optional_settings_clear_with_an_empty_string(sms_loop: SmsLoop) -> None:
    assert (await change(sms_loop, **SETTINGS))["errors"] == []
    payload = await change(sms_loop, fromNumber="", helpText="", timeZone="")
    assert payload["errors"] == []
    settings = payload["smsSettings"]
    assert (settings["fromNumber"], settings["helpText"], settings["timeZone"]) == (
        None,
        None,
        "UTC",
    )
    assert settings["programName"] == "Acme Perks"
    assert "from_number" not in await stored(sms_loop)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"fromNumber": "5005550010"}, "INVALID_FROM_NUMBER", "fromNumber"),
        ({"fromNumber": "+1 500 555 0010"}, "INVALID_FROM_NUMBER", "fromNumber"),
        ({"fromNumber": "+1"}, "INVALID_FROM_NUMBER", "fromNumber"),
        ({"messagingServiceSid": "MG123"}, "INVALID_MESSAGING_SERVICE", "messagingServiceSid"),
        (
            {"quietHoursStart": "20:00:00", "quietHoursEnd": "09:00:00"},
            "INVALID_QUIET_HOURS",
            "quietHoursStart",
        ),
        ({"quietHoursStart": "07:00:00"}, "INVALID_QUIET_HOURS", "quietHoursStart"),
        ({"quietHoursEnd": "21:30:00"}, "INVALID_QUIET_HOURS", "quietHoursEnd"),
        ({"quietHoursStart": "21:00:00"}, "INVALID_QUIET_HOURS", "quietHoursStart"),
        ({"timeZone": "Mars/Olympus"}, "INVALID_TIMEZONE", "timeZone"),
        ({"ratePerSecond": -1}, "INVALID_RATE", "ratePerSecond"),
        ({"ratePerSecond": 1001}, "INVALID_RATE", "ratePerSecond"),
        ({"programName": "   "}, "REQUIRED", "programName"),
        ({"programName": "P" * 41}, "TOO_LONG", "programName"),
        ({"helpText": "h" * 161}, "TOO_LONG", "helpText"),
        ({"supportContact": "call\nus"}, "CONTROL_CHARACTER", "supportContact"),
    ],
)
async def test_bad_settings_are_refused_by_field_and_nothing_is_stored(
    sms_loop: SmsLoop, fields: dict[str, Any], code: str, field: str
) -> None:
    payload = await change(sms_loop, **fields, frequency="Up to 2 msgs/week")
    assert payload["smsSettings"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    for value in fields.values():
        if isinstance(value, str) and len(value.strip()) > 2:
            assert value not in payload["errors"][0]["message"]
    assert await stored(sms_loop) == {}


async def test_a_messaging_service_is_accepted(sms_loop: SmsLoop) -> None:
    sid = "MG" + "0123456789abcdef" * 2
    payload = await change(sms_loop, messagingServiceSid=sid)
    assert payload["errors"] == []
    assert payload["smsSettings"]["messagingServiceSid"] == sid


async def test_only_the_owner_changes_them_and_any_staff_reads_them(sms_loop: SmsLoop) -> None:
    for role in (Role.MANAGER, Role.MARKETING, Role.STAFF):
        member = await add_staff(sms_loop.tenant, role)
        codes = await sms_loop.gql.error_codes(
            UPDATE, {"input": {"programName": "Mine"}}, member.token
        )
        assert codes == ["FORBIDDEN"]
        read = await sms_loop.gql.data(READ, token=member.token)
        assert read["smsSettings"]["programName"] == "Acme"
    assert await stored(sms_loop) == {}
