"""How many SMS parts a text costs, so its length is known before it is sent.

A text that fits the GSM 03.38 alphabet travels as 7-bit septets: 160 in one message, 153 per
part once it is split (the user-data header takes the rest). The extension table's characters
(`^{}\\[~]|€` and form feed) cost two septets and an escape pair is never split across parts.
Any other character forces UCS-2: 70 UTF-16 code units in one message, 67 per part, and a
surrogate pair is never split either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM, PART_GSM = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67


class Encoding(StrEnum):
    GSM7 = "GSM7"
    UCS2 = "UCS2"


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    # Septets for GSM-7, UTF-16 code units for UCS-2.
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text)


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    """Each character's cost in the encoding's units; characters are never split."""
    if encoding is Encoding.GSM7:
        return [2 if c in _GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _parts(costs: list[int], per_part: int) -> int:
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentCount:
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    single, per_part = (
        (SINGLE_GSM, PART_GSM) if encoding is Encoding.GSM7 else (SINGLE_UCS2, PART_UCS2)
    )
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    if units == 0:
        return SegmentCount(encoding, 0, 0)
    segments = 1 if units <= single else _parts(costs, per_part)
    return SegmentCount(encoding, units, segments)
