"""Duplicate suggestions over one organization's live customers.

Never compares all pairs: customers are put in blocks by keys that duplicates share (an
identifier; a phonetic name code with the birthday or the postal code) and only customers of
one block are compared. One blocking rule is built and compared at a time, so memory holds the
prepared customers and one rule's blocks. A pair sharing keys of several rules is scored once,
under the first key they share.

Placeholder identifiers (shared by more than `shared_threshold` customers, or listed by the
organization) are dropped before blocking and scoring: they are reported, never evidence.
Pairs the organization excluded (dismissed, or unmerged) are never suggested.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from app.merges.candidates import Candidate, Prepared, canonical_email
from app.merges.grouping import group_pairs
from app.merges.placeholders import (
    DEFAULT_SHARED_THRESHOLD,
    Placeholder,
    PlaceholderFinder,
    PlaceholderList,
)
from app.merges.records import IdentifierKind
from app.merges.scoring import Frequencies, Reason, prior, score

DEFAULT_MIN_SCORE = 0.5
# Bigger blocks are a default value (1900-01-01 for everyone), not a shared person.
DEFAULT_MAX_BLOCK = 200
# The share of customers assumed to have a duplicate, for the prior of the score.
DEFAULT_DUPLICATE_SHARE = 0.05

KeyRule = Callable[[Prepared], tuple[Hashable, ...]]


def _email(r: Prepared) -> tuple[Hashable, ...]:
    return (r.email,) if r.email else ()


def _phone(r: Prepared) -> tuple[Hashable, ...]:
    return (r.phone,) if r.phone else ()


def _external_reference(r: Prepared) -> tuple[Hashable, ...]:
    return (r.external_reference,) if r.external_reference else ()


def _name_codes(r: Prepared) -> tuple[str, ...]:
    # Each part on its own, so a typo in one part or first and last swapped still meet.
    return tuple(dict.fromkeys(code for code in (r.first_code, r.last_code) if code))


def _name_birthday(r: Prepared) -> tuple[Hashable, ...]:
    birthday = r.birthday
    return tuple((birthday, code) for code in _name_codes(r)) if birthday else ()


def _name_postal(r: Prepared) -> tuple[Hashable, ...]:
    postal = r.postal
    return tuple((postal, code) for code in _name_codes(r)) if postal else ()


BLOCKING_RULES: tuple[KeyRule, ...] = (
    _email,
    _phone,
    _external_reference,
    _name_birthday,
    _name_postal,
)


@dataclass(frozen=True)
class Suggestion:
    customer_ids: tuple[uuid.UUID, uuid.UUID]
    score: float
    reasons: tuple[Reason, ...]


@dataclass
class SuggestionReport:
    """Pairs (strongest first), groups built from them, placeholders and what was done."""

    pairs: list[Suggestion]
    groups: list[tuple[uuid.UUID, ...]]
    placeholders: list[Placeholder]
    compared_pairs: int = 0
    skipped_blocks: int = 0
    customers: int = 0


@dataclass
class SuggestionOptions:
    placeholder_list: PlaceholderList = field(default_factory=PlaceholderList)
    shared_threshold: int = DEFAULT_SHARED_THRESHOLD
    min_score: float = DEFAULT_MIN_SCORE
    max_block: int = DEFAULT_MAX_BLOCK
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE


def _prepare(
    candidates: Sequence[Candidate], options: SuggestionOptions
) -> tuple[list[Prepared], list[Placeholder], Frequencies]:
    finder = PlaceholderFinder(options.placeholder_list, options.shared_threshold)
    emails = [canonical_email(c.email) for c in candidates]
    for candidate, email in zip(candidates, emails, strict=True):
        finder.add(IdentifierKind.EMAIL, email)
        finder.add(IdentifierKind.PHONE, candidate.phone)
        finder.add(IdentifierKind.EXTERNAL_REFERENCE, candidate.external_reference)
    placeholders = finder.found()
    flagged = {(p.kind, p.value) for p in placeholders}
    del finder

    prepared: list[Prepared] = []
    first: Counter[str] = Counter()
    last: Counter[str] = Counter()
    postal: Counter[str] = Counter()
    for candidate, email in zip(candidates, emails, strict=True):
        record = Prepared(candidate, email)
        if record.email and (IdentifierKind.EMAIL, record.email) in flagged:
            record.email = None
        if record.phone and (IdentifierKind.PHONE, record.phone) in flagged:
            record.phone = None
        ref = record.external_reference
        if ref and (IdentifierKind.EXTERNAL_REFERENCE, ref) in flagged:
            record.external_reference = None
        first[record.first] += 1
        last[record.last] += 1
        if record.postal:
            postal[record.postal] += 1
        prepared.append(record)
    return prepared, placeholders, Frequencies(first, last, postal, len(prepared))


def _first_shared(a: Prepared, b: Prepared, rules: Sequence[KeyRule]) -> Hashable | None:
    """The first key (in rule order) two customers share under `rules`, if any."""
    for rule in rules:
        keys_b = rule(b)
        for key in rule(a):
            if key in keys_b:
                return key
    return None


def suggest_duplicates(
    candidates: Sequence[Candidate],
    excluded_pairs: Iterable[tuple[uuid.UUID, uuid.UUID]] = (),
    options: SuggestionOptions | None = None,
) -> SuggestionReport:
    """Scored duplicate pairs and groups among `candidates` (one organization's live customers)."""
    options = options or SuggestionOptions()
    excluded = {frozenset(pair) for pair in excluded_pairs}
    prepared, placeholders, freq = _prepare(candidates, options)
    prior_weight = prior(len(prepared), options.duplicate_share)
    report = SuggestionReport([], [], placeholders, customers=len(prepared))

    for index, rule in enumerate(BLOCKING_RULES):
        earlier = BLOCKING_RULES[:index]
        blocks: defaultdict[Hashable, list[int]] = defaultdict(list)
        for position, record in enumerate(prepared):
            for key in rule(record):
                blocks[key].append(position)
        for key, members in blocks.items():
            if len(members) < 2:
                continue
            if len(members) > options.max_block:
                report.skipped_blocks += 1
                continue
            for i, left in enumerate(members):
                a = prepared[left]
                for right in members[i + 1 :]:
                    b = prepared[right]
                    # Scored once: under the earliest rule and key the two share.
                    if _first_shared(a, b, earlier) is not None:
                        continue
                    if _first_shared(a, b, (rule,)) != key:
                        continue
                    if frozenset((a.id, b.id)) in excluded:
                        continue
                    report.compared_pairs += 1
                    probability, reasons = score(a, b, freq, prior_weight)
                    if probability >= options.min_score and reasons:
                        ids = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                        report.pairs.append(Suggestion(ids, probability, tuple(reasons)))
        del blocks

    report.pairs.sort(key=lambda s: (-s.score, s.customer_ids))
    report.groups = group_pairs([s.customer_ids for s in report.pairs], excluded)
    return report
