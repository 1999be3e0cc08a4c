from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.consent.keywords import KEYWORDS, ReplyIntent, parse_reply

_SURROUNDING = st.text(alphabet=" \t\n.!?,;:'\"()-¡¿“”…\u00a0", max_size=6)


def _any_case(word: str, flips: list[bool]) -> str:
    return "".join(c.lower() if flip else c for c, flip in zip(word, flips, strict=False))


@given(
    keyword=st.sampled_from(sorted(KEYWORDS)),
    flips=st.lists(st.booleans(), min_size=12, max_size=12),
    before=_SURROUNDING,
    after=_SURROUNDING,
)
def test_a_keyword_in_any_case_with_surrounding_punctuation_is_understood(
    keyword: str, flips: list[bool], before: str, after: str
) -> None:
    assert parse_reply(before + _any_case(keyword, flips) + after) is KEYWORDS[keyword]


@given(
    keyword=st.sampled_from(sorted(KEYWORDS)),
    other=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8),
)
def test_a_keyword_with_another_word_is_other(keyword: str, other: str) -> None:
    assert parse_reply(f"{keyword} {other}") is ReplyIntent.OTHER
    assert parse_reply(f"{other} {keyword}") is ReplyIntent.OTHER


@given(st.text(max_size=80))
def test_anything_that_is_not_a_keyword_alone_is_other(body: str) -> None:
    # Only the letters and digits can make a keyword; when they do not spell one, nothing can.
    letters = "".join(c for c in body if c.isalnum()).upper()
    if letters not in KEYWORDS:
        assert parse_reply(body) is ReplyIntent.OTHER


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("YES", ReplyIntent.CONFIRM),
        ("y", ReplyIntent.CONFIRM),
        ("  Start! ", ReplyIntent.CONFIRM),
        ("unstop", ReplyIntent.CONFIRM),
        ("Stop.", ReplyIntent.STOP),
        ("STOPALL", ReplyIntent.STOP),
        ("unsubscribe", ReplyIntent.STOP),
        ("Cancel", ReplyIntent.STOP),
        ("end", ReplyIntent.STOP),
        ("QUIT!!!", ReplyIntent.STOP),
        ("revoke", ReplyIntent.STOP),
        ("OptOut", ReplyIntent.STOP),
        ("“STOP”", ReplyIntent.STOP),
        ("help?", ReplyIntent.HELP),
        ("Info", ReplyIntent.HELP),
        ("", ReplyIntent.OTHER),
        ("   ", ReplyIntent.OTHER),
        ("yes please", ReplyIntent.OTHER),
        ("please stop", ReplyIntent.OTHER),
        ("S T O P", ReplyIntent.OTHER),
        ("opt out", ReplyIntent.OTHER),
        ("yess", ReplyIntent.OTHER),
        ("N", ReplyIntent.OTHER),
        ("NO", ReplyIntent.OTHER),
        # Look-alikes that upper-case to a keyword are not the keyword.
        ("ſtop", ReplyIntent.OTHER),
        ("ınfo", ReplyIntent.OTHER),
        ("STOP\u200b", ReplyIntent.STOP),
        ("." * 100 + "STOP", ReplyIntent.OTHER),
    ],
)
def test_examples(body: str, intent: ReplyIntent) -> None:
    assert parse_reply(body) is intent


def test_every_keyword_of_the_brief_is_known() -> None:
    assert {k for k, v in KEYWORDS.items() if v is ReplyIntent.CONFIRM} == {
        "YES",
        "Y",
        "START",
        "UNSTOP",
    }
    assert {k for k, v in KEYWORDS.items() if v is ReplyIntent.STOP} == {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
    }
    assert {k for k, v in KEYWORDS.items() if v is ReplyIntent.HELP} == {"HELP", "INFO"}
