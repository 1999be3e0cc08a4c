from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.messaging.segments import Encoding, count_segments, is_gsm7

_BASIC = "abcXYZ 019@£$!?\n"
_EXTENDED = "^{}\\[~]|€"


@given(st.text(alphabet=_BASIC, max_size=700))
def test_plain_gsm_text_is_160_in_one_part_and_153_per_part_after(text: str) -> None:
    count = count_segments(text)
    assert count.encoding is Encoding.GSM7
    assert count.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert count.segments == expected


@given(st.text(alphabet=_BASIC, max_size=300), st.sampled_from("中ąЖ’"))
def test_one_character_outside_gsm_makes_the_whole_text_ucs2(text: str, other: str) -> None:
    count = count_segments(text + other)
    assert count.encoding is Encoding.UCS2
    units = len(text) + 1
    assert count.units == units
    assert count.segments == (1 if units <= 70 else math.ceil(units / 67))


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", Encoding.GSM7, 0, 0),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        # Extension characters cost two septets each.
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),
        # An escape pair is never split: after 152 septets "{" moves to the next part, so 306
        # septets, which would fill two parts exactly, need three.
        ("a" * 152 + "{" + "a" * 152, Encoding.GSM7, 306, 3),
        ("ж" * 70, Encoding.UCS2, 70, 1),
        ("ж" * 71, Encoding.UCS2, 71, 2),
        ("ж" * 134, Encoding.UCS2, 134, 2),
        ("ж" * 135, Encoding.UCS2, 135, 3),
        # A surrogate pair is never split across parts.
        ("ж" * 66 + "😀" + "ж" * 66, Encoding.UCS2, 134, 3),
    ],
)
def test_examples(text: str, encoding: Encoding, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_gsm_alphabet_edges() -> None:
    assert is_gsm7("Üñ¿¡ÆØÅΔΩ")
    assert not is_gsm7("’")  # the typographic apostrophe that word processors insert
    assert not is_gsm7("ï")
