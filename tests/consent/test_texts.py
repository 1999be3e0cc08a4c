from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.consent.texts import (
    MAX_SEGMENTS,
    RATES_NOTICE,
    SenderSettings,
    SmsProgramErrorCode,
    confirmation_text,
    help_text,
    settings_errors,
    stop_text,
)
from app.messaging.segments import Encoding, count_segments

ACME = SenderSettings(
    program_name="Acme Rewards",
    description="reward updates and member offers",
    frequency="Up to 4 msgs/month.",
    support_contact="help@acme-shop.com",
)


def test_confirmation_text_has_everything_carriers_ask_for() -> None:
    text = confirmation_text(ACME)
    assert text.startswith("Acme Rewards: ")
    assert "reward updates and member offers" in text
    assert "Up to 4 msgs/month." in text
    assert "month.." not in text
    assert "Reply YES to confirm" in text
    assert "STOP" in text
    assert "HELP" in text
    assert RATES_NOTICE == "Msg & data rates may apply."
    assert RATES_NOTICE in text


def test_help_text_names_program_support_frequency_rates_and_how_to_stop() -> None:
    text = help_text(ACME)
    assert text.startswith("Acme Rewards: ")
    assert "help@acme-shop.com" in text
    assert "Up to 4 msgs/month." in text
    assert RATES_NOTICE in text
    assert "Reply STOP to cancel." in text


def test_help_text_uses_the_organization_help_text_when_set() -> None:
    settings = SenderSettings(
        program_name="Acme Rewards",
        description="reward updates",
        frequency="Up to 4 msgs/month",
        support_contact="1-800-555-0199",
        help_text="Points, rewards and store news",
    )
    text = help_text(settings)
    assert "Points, rewards and store news." in text
    assert "reward updates" not in text
    assert "1-800-555-0199" in text


def test_stop_text_confirms_once_and_says_nothing_more_will_come() -> None:
    text = stop_text(ACME)
    assert text.startswith("Acme Rewards: ")
    assert "unsubscribed" in text
    assert "no more messages" in text
    assert "Reply YES" not in text


def test_default_texts_fit_in_one_or_two_gsm_parts() -> None:
    for text in (confirmation_text(ACME), help_text(ACME), stop_text(ACME)):
        count = count_segments(text)
        assert count.encoding is Encoding.GSM7
        assert count.segments <= 2


def test_valid_settings_have_no_errors() -> None:
    assert settings_errors(ACME) == []


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"program_name": "  "}, "programName", SmsProgramErrorCode.REQUIRED),
        ({"description": ""}, "description", SmsProgramErrorCode.REQUIRED),
        ({"frequency": "."}, "frequency", SmsProgramErrorCode.REQUIRED),
        ({"support_contact": ""}, "supportContact", SmsProgramErrorCode.REQUIRED),
        ({"program_name": "A" * 41}, "programName", SmsProgramErrorCode.TOO_LONG),
        ({"help_text": "x" * 161}, "helpText", SmsProgramErrorCode.TOO_LONG),
        ({"description": "offers\nSTOP"}, "description", SmsProgramErrorCode.CONTROL_CHARACTER),
    ],
)
def test_bad_settings_are_named_by_field(
    changes: dict[str, str], field: str, code: SmsProgramErrorCode
) -> None:
    values = {**ACME.__dict__, **changes}
    errors = settings_errors(SenderSettings(**values))
    assert [(e.field, e.code) for e in errors] == [(field, code)]
    for error in errors:
        for value in changes.values():
            if len(value.strip()) > 1:
                assert value not in error.message


def test_settings_whose_texts_need_too_many_parts_are_refused() -> None:
    # Emoji force UCS-2 (67 units a part), so fields within their own limits add up to too much.
    settings = SenderSettings(
        program_name="🎁" * 20,
        description="🎁" * 50,
        frequency="🎁" * 20,
        support_contact="🎁" * 40,
        help_text="🎁" * 80,
    )
    errors = settings_errors(settings)
    assert errors
    assert {e.code for e in errors} == {SmsProgramErrorCode.TEXT_TOO_LONG}
    assert all(str(MAX_SEGMENTS) in e.message for e in errors)


_FIELD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["C"]), min_size=1, max_size=30
).filter(lambda s: s.strip().rstrip(".").strip())


@given(program=_FIELD, description=_FIELD, frequency=_FIELD, support=_FIELD)
def test_every_confirmation_carries_the_required_phrases(
    program: str, description: str, frequency: str, support: str
) -> None:
    settings = SenderSettings(program, description, frequency, support)
    confirmation = confirmation_text(settings)
    for phrase in ("Reply YES to confirm", "STOP", "HELP", RATES_NOTICE):
        assert phrase in confirmation
    assert confirmation.startswith(program.strip().rstrip(".").strip() + ": ")
    helped = help_text(settings)
    assert support.strip().rstrip(".").strip() in helped
    assert RATES_NOTICE in helped
    assert "STOP" in helped
