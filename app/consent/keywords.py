"""What a shopper's reply to a text asks for.

Carriers (CTIA) and Twilio's built-in handling treat these words as commands only when they are
the whole message: "STOP" unsubscribes, "please stop texting me so often" does not. So a reply is
a keyword only when, after dropping surrounding spaces and punctuation, one word remains; case
never matters. Anything else is an ordinary inbound message that changes nothing.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class ReplyIntent(StrEnum):
    CONFIRM = "CONFIRM"
    STOP = "STOP"
    HELP = "HELP"
    OTHER = "OTHER"


KEYWORDS: dict[str, ReplyIntent] = {
    **dict.fromkeys(("YES", "Y", "START", "UNSTOP"), ReplyIntent.CONFIRM),
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        ReplyIntent.STOP,
    ),
    **dict.fromkeys(("HELP", "INFO"), ReplyIntent.HELP),
}

# Longer than any keyword with room for surrounding punctuation: a long body is never one.
_MAX_BODY = 64


def _is_trimmable(char: str) -> bool:
    # Unicode categories rather than string.punctuation, so "¡YES!", "“STOP”" and a
    # non-breaking space are trimmed like their ASCII cousins.
    category = unicodedata.category(char)
    return category[0] in {"P", "Z", "S", "C"} or char.isspace()


def parse_reply(body: str) -> ReplyIntent:
    """The intent of an inbound text: a keyword alone (any case), else OTHER."""
    if len(body) > _MAX_BODY:
        return ReplyIntent.OTHER
    start, end = 0, len(body)
    while start < end and _is_trimmable(body[start]):
        start += 1
    while end > start and _is_trimmable(body[end - 1]):
        end -= 1
    word = body[start:end]
    # ASCII checked before upper-casing: the long s (U+017F) and the dotless i (U+0131)
    # upper-case to S and I, and a look-alike letter is not the keyword a carrier honours.
    if not word.isascii():
        return ReplyIntent.OTHER
    return KEYWORDS.get(word.upper(), ReplyIntent.OTHER)
