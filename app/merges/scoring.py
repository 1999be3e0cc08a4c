"""How strongly two customers look like one person: a Fellegi-Sunter style log-odds score.

Each comparison adds log2(m/u): m is how often duplicates agree at that level, u how often two
strangers do. The m and u below are judgement, not fitted; u for an exact name or postal code
comes from its frequency in the organization (a shared Smith says less than a shared Okonkwo).
The prior is the chance that two random customers of the organization are one person, which
falls with its size. The result is a probability in [0, 1] and the reasons behind it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from app.merges.candidates import Prepared


class Reason(StrEnum):
    SAME_EMAIL = "SAME_EMAIL"
    SAME_PHONE = "SAME_PHONE"
    SAME_EXTERNAL_REFERENCE = "SAME_EXTERNAL_REFERENCE"
    SIMILAR_NAME_SAME_BIRTHDAY = "SIMILAR_NAME_SAME_BIRTHDAY"
    SIMILAR_NAME_SAME_POSTAL_CODE = "SIMILAR_NAME_SAME_POSTAL_CODE"


def _w(m: float, u: float) -> float:
    return math.log2(m / u)


# Identifiers: strangers almost never share one that is not a placeholder (households do,
# a little); duplicates usually carry different ones (an email online, a phone at the till),
# so a difference costs little.
SAME_EMAIL = _w(0.6, 1e-6)
SAME_PHONE = _w(0.6, 1e-5)
SAME_EXTERNAL_REFERENCE = _w(0.6, 1e-7)
DIFFERENT_EMAIL = _w(0.8, 1.0)
DIFFERENT_PHONE = _w(0.8, 1.0)
DIFFERENT_EXTERNAL_REFERENCE = _w(0.7, 1.0)
# Birthday: one in ~60 years of days; a typo leaves one part off or day and month swapped.
SAME_BIRTHDAY = _w(0.9, 1 / (365 * 60))
CLOSE_BIRTHDAY = _w(0.06, 0.003)
DIFFERENT_BIRTHDAY = _w(0.04, 1.0)
POSTAL_M = 0.7
DIFFERENT_POSTAL_CODE = _w(0.3, 1.0)
# Names, per part (first or last), by level.
NAME_EXACT_M = 0.85
FIRST_CLOSE, FIRST_NEAR, FIRST_DIFFERENT = _w(0.08, 0.01), _w(0.04, 0.05), _w(0.03, 0.94)
LAST_CLOSE, LAST_NEAR, LAST_DIFFERENT = _w(0.1, 0.005), _w(0.03, 0.03), _w(0.02, 0.96)
# First and last written the other way round: rarer than the right way.
SWAPPED = _w(0.05, 1.0)
# Frequencies are floored so one rare name cannot outweigh everything else.
MIN_FREQUENCY = 1e-4


@dataclass
class Frequencies:
    """How common each folded first name, last name and postal code is in the organization."""

    first: Counter[str]
    last: Counter[str]
    postal: Counter[str]
    total: int

    def share(self, counter: Counter[str], value: str) -> float:
        return max(counter[value] / max(self.total, 1), MIN_FREQUENCY)


def prior(customers: int, duplicate_share: float) -> float:
    """Log-odds that two random customers are one person when `duplicate_share` have a twin."""
    pairs = max(customers, 2) * (max(customers, 2) - 1) / 2
    chance = min(max(duplicate_share * customers / 2 / pairs, 1e-12), 0.5)
    return math.log2(chance / (1 - chance))


def _part(a: str, b: str, exact: float, close: float, near: float, different: float) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return exact
    similarity = JaroWinkler.normalized_similarity(a, b)
    # Double-barrelled or extra middle names: all the words of one are in the other.
    if similarity >= 0.92 or (" " in a + b and token_set_ratio(a, b) >= 95):
        return close
    if similarity >= 0.8:
        return near
    return different


def _name_weight(a: Prepared, b: Prepared, freq: Frequencies) -> float:
    def first(x: str, y: str) -> float:
        exact = _w(NAME_EXACT_M, freq.share(freq.first, x)) if x == y else 0.0
        return _part(x, y, exact, FIRST_CLOSE, FIRST_NEAR, FIRST_DIFFERENT)

    def last(x: str, y: str) -> float:
        exact = _w(NAME_EXACT_M, freq.share(freq.last, x)) if x == y else 0.0
        return _part(x, y, exact, LAST_CLOSE, LAST_NEAR, LAST_DIFFERENT)

    direct = first(a.first, b.first) + last(a.last, b.last)
    if not (a.first and a.last and b.first and b.last):
        return direct
    swapped = first(a.first, b.last) + last(a.last, b.first) + SWAPPED
    return max(direct, swapped)


def _birthday_weight(a: Prepared, b: Prepared) -> float:
    x, y = a.birthday, b.birthday
    if x is None or y is None:
        return 0.0
    if x == y:
        return SAME_BIRTHDAY
    differing = (x.year != y.year) + (x.month != y.month) + (x.day != y.day)
    swapped = x.year == y.year and x.month == y.day and x.day == y.month
    return CLOSE_BIRTHDAY if differing == 1 or swapped else DIFFERENT_BIRTHDAY


def _identifier(a: str | None, b: str | None, same: float, different: float) -> float:
    if a is None or b is None:
        return 0.0
    return same if a == b else different


def score(
    a: Prepared, b: Prepared, freq: Frequencies, prior_weight: float
) -> tuple[float, list[Reason]]:
    """Probability that `a` and `b` are one person, and the evidence stated as reasons."""
    reasons: list[Reason] = []
    weight = prior_weight
    for x, y, same, different, reason in (
        (a.email, b.email, SAME_EMAIL, DIFFERENT_EMAIL, Reason.SAME_EMAIL),
        (a.phone, b.phone, SAME_PHONE, DIFFERENT_PHONE, Reason.SAME_PHONE),
        (
            a.external_reference,
            b.external_reference,
            SAME_EXTERNAL_REFERENCE,
            DIFFERENT_EXTERNAL_REFERENCE,
            Reason.SAME_EXTERNAL_REFERENCE,
        ),
    ):
        weight += _identifier(x, y, same, different)
        if x is not None and x == y:
            reasons.append(reason)
    names = _name_weight(a, b, freq)
    weight += names + _birthday_weight(a, b)
    same_postal = a.postal is not None and a.postal == b.postal
    # A household shares its address with its phone or email: once an identifier agrees, the
    # postal code says nothing more, and counting it would fuse family members.
    if not reasons and a.postal is not None and b.postal is not None:
        weight += (
            _w(POSTAL_M, freq.share(freq.postal, a.postal))
            if same_postal
            else (DIFFERENT_POSTAL_CODE)
        )
    if names > 0:
        if a.birthday is not None and a.birthday == b.birthday:
            reasons.append(Reason.SIMILAR_NAME_SAME_BIRTHDAY)
        if same_postal:
            reasons.append(Reason.SIMILAR_NAME_SAME_POSTAL_CODE)
    probability = 1.0 / (1.0 + 2.0 ** (-max(min(weight, 60.0), -60.0)))
    return probability, reasons
