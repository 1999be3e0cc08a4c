"""Duplicate suggestions: planted duplicates are found, placeholders are never evidence,
excluded pairs never come back, groups fit in one merge."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from app.merges.candidates import Candidate
from app.merges.grouping import group_pairs
from app.merges.names import canonical_first_name, fold, soundex
from app.merges.placeholders import PlaceholderList, PlaceholderReason
from app.merges.records import IdentifierKind
from app.merges.scoring import Reason
from app.merges.suggestions import SuggestionOptions, SuggestionReport, suggest_duplicates

STORE_PHONE = "+12025550143"
FIRSTS = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Priya", "Kofi", "Ingrid", "Omar"]
LASTS = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Silva", "Haddad", "Kowalski"]


def background(count: int, seed: int = 3) -> list[Candidate]:
    """Distinct people: unique identifiers, names and birthdays spread out."""
    rng = random.Random(seed)
    people = []
    for n in range(count):
        people.append(
            Candidate(
                id=uuid.UUID(int=10_000 + n),
                first_name=rng.choice(FIRSTS),
                last_name=f"{rng.choice(LASTS)}{n}",
                email=f"person{n}@example.com",
                phone=f"+1212555{n:04d}",
                birthday=dt.date(1950, 1, 1) + dt.timedelta(days=n * 7),
                postal_code=f"{10000 + n}",
            )
        )
    return people


def pair(report: SuggestionReport, a: Candidate, b: Candidate) -> tuple[Reason, ...] | None:
    wanted = tuple(sorted((a.id, b.id)))
    for suggestion in report.pairs:
        if suggestion.customer_ids == wanted:
            return suggestion.reasons
    return None


def cid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


class TestPlantedDuplicates:
    def test_each_kind_of_duplicate_is_found(self) -> None:
        born = dt.date(1984, 7, 2)
        planted = [
            # A nickname and the same birthday, nothing else shared.
            (
                Candidate(cid(1), "Robert", "Okonkwo", "rob@example.com", birthday=born),
                Candidate(cid(2), "Bob", "Okonkwo", phone="+13125550100", birthday=born),
                Reason.SIMILAR_NAME_SAME_BIRTHDAY,
            ),
            # First and last swapped, same postal code and birthday.
            (
                Candidate(cid(3), "Ingrid", "Lindqvist", birthday=born, postal_code="94107"),
                Candidate(cid(4), "Lindqvist", "Ingrid", birthday=born, postal_code="94107"),
                Reason.SIMILAR_NAME_SAME_POSTAL_CODE,
            ),
            # A typo in the last name and the same phone.
            (
                Candidate(cid(5), "Amara", "Johnson", phone="+14155550123"),
                Candidate(cid(6), "Amara", "Jonhson", phone="+14155550123"),
                Reason.SAME_PHONE,
            ),
            # One mailbox spelled two ways (gmail ignores dots and +tags).
            (
                Candidate(cid(7), "Chloé", "Moreau", email="chloe.moreau@gmail.com"),
                Candidate(cid(8), "Chloe", "Moreau", email="chloemoreau+shop@gmail.com"),
                Reason.SAME_EMAIL,
            ),
        ]
        customers = background(300) + [c for a, b, _ in planted for c in (a, b)]
        report = suggest_duplicates(customers)
        for a, b, reason in planted:
            reasons = pair(report, a, b)
            assert reasons is not None, (a.first_name, b.first_name)
            assert reason in reasons
        planted_ids = {c.id for a, b, _ in planted for c in (a, b)}
        assert {i for s in report.pairs for i in s.customer_ids} <= planted_ids
        assert all(0.0 <= s.score <= 1.0 for s in report.pairs)

    def test_a_household_sharing_a_phone_is_not_one_person(self) -> None:
        mother = Candidate(
            cid(1), "Maria", "Haddad", phone="+16175550101", birthday=dt.date(1960, 3, 1)
        )
        son = Candidate(
            cid(2), "Karim", "Haddad", phone="+16175550101", birthday=dt.date(1992, 8, 9)
        )
        report = suggest_duplicates([*background(50), mother, son])
        assert pair(report, mother, son) is None

    def test_blocking_compares_far_fewer_than_all_pairs(self) -> None:
        customers = background(2000)
        report = suggest_duplicates(customers)
        assert report.compared_pairs < len(customers)
        assert report.pairs == []


class TestPlaceholders:
    def test_a_shared_store_phone_is_no_evidence_and_is_reported(self) -> None:
        rng = random.Random(5)
        walk_ins = [
            Candidate(
                cid(100 + n),
                rng.choice(FIRSTS),
                f"{rng.choice(LASTS)}{n}",
                phone=STORE_PHONE,
                birthday=dt.date(1940, 1, 1) + dt.timedelta(days=n * 11),
            )
            for n in range(40)
        ]
        report = suggest_duplicates([*background(100), *walk_ins])
        assert report.pairs == []
        (flagged,) = report.placeholders
        assert (flagged.kind, flagged.value, flagged.count) == (
            IdentifierKind.PHONE,
            STORE_PHONE,
            40,
        )
        assert flagged.reason is PlaceholderReason.SHARED

    def test_listed_values_are_placeholders_even_when_rare(self) -> None:
        a = Candidate(cid(1), "Kofi", "Mensah", email="noemail@acme.io", phone=STORE_PHONE)
        b = Candidate(cid(2), "Omar", "Farouk", email="noemail@acme.io", phone=STORE_PHONE)
        listed = PlaceholderList().with_values(STORE_PHONE)
        report = suggest_duplicates([a, b], options=SuggestionOptions(placeholder_list=listed))
        assert report.pairs == []
        assert {(p.kind, p.reason) for p in report.placeholders} == {
            (IdentifierKind.EMAIL, PlaceholderReason.LISTED),
            (IdentifierKind.PHONE, PlaceholderReason.LISTED),
        }

    def test_five_sharing_is_still_evidence(self) -> None:
        twins = [Candidate(cid(n), "Sam", "Reyes", phone=STORE_PHONE) for n in range(1, 6)]
        report = suggest_duplicates(twins)
        assert report.placeholders == []
        assert len(report.pairs) == 10


class TestExcludedPairs:
    def test_excluded_pairs_never_come_back(self) -> None:
        born = dt.date(1990, 5, 17)
        a = Candidate(cid(1), "Olivia", "Tanaka", email="o.tanaka@example.com", birthday=born)
        b = Candidate(cid(2), "Olivia", "Tanaka", email="o.tanaka@example.com", birthday=born)
        c = Candidate(cid(3), "Olivia", "Tanaka", email="o.tanaka@example.com", birthday=born)
        everything = suggest_duplicates([a, b, c])
        assert len(everything.pairs) == 3
        report = suggest_duplicates([a, b, c], excluded_pairs=[(b.id, a.id)])
        assert pair(report, a, b) is None
        assert pair(report, a, c) is not None
        assert all({a.id, b.id} - set(group) for group in report.groups)


class TestGroups:
    def test_groups_never_exceed_one_merge(self) -> None:
        ids = [cid(n) for n in range(1, 15)]
        chain = [(ids[i], ids[i + 1]) for i in range(len(ids) - 1)]
        groups = group_pairs(chain)
        assert all(len(group) <= 10 for group in groups)
        assert sorted(i for group in groups for i in group) == ids


class TestNames:
    def test_keys(self) -> None:
        assert canonical_first_name(fold("Bob")) == "robert"
        assert canonical_first_name(fold("  JOSÉ-luis ")) == "jose luis"
        assert soundex("johnson") == soundex("jonhson") == "J525"
        assert soundex("ashcraft") == "A261"
        assert soundex("") == ""
