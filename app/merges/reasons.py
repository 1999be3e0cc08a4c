"""Reasons of a duplicate suggestion in words, for the staff who read them."""

from __future__ import annotations

from collections.abc import Sequence

from app.merges.scoring import Reason

REASON_TEXT: dict[Reason, str] = {
    Reason.SAME_EMAIL: "same email",
    Reason.SAME_PHONE: "same phone",
    Reason.SAME_EXTERNAL_REFERENCE: "same external reference",
    Reason.SIMILAR_NAME_SAME_BIRTHDAY: "similar name and same birthday",
    Reason.SIMILAR_NAME_SAME_POSTAL_CODE: "similar name and same postal code",
}


def reasons_text(reasons: Sequence[Reason]) -> str:
    """`Same email; similar name and same birthday.`"""
    text = "; ".join(REASON_TEXT[r] for r in reasons)
    return f"{text[:1].upper()}{text[1:]}." if text else ""
