from __future__ import annotations

import uuid

import numpy as np

from app.personas.identity import PreviousPersona, centroid_similarity, match, overlap
from app.personas.model import Scale

A, B, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PREVIOUS = [
    PreviousPersona(A, False, {"x": 0.0}),
    PreviousPersona(B, False, {"x": 10.0}),
    PreviousPersona(OTHER, True, {"x": 5.0}),
]


def fresh() -> uuid.UUID:
    return uuid.uuid4()


class TestOverlap:
    def test_jaccard_of_groups_over_todays_customers(self) -> None:
        labels = np.array([0, 0, 0, 1, 1, 1], dtype=np.int16)
        previous = np.array([1, 1, -1, 0, 0, 0], dtype=np.int64)
        j = overlap(labels, 2, previous, 2)
        assert j[0, 1] == 2 / 3  # two shared, one new customer
        assert j[1, 0] == 1.0
        assert j[0, 0] == 0.0

    def test_same_groups_in_another_order_keep_their_identities(self) -> None:
        jaccard = np.array([[0.0, 0.95, 0.0], [0.9, 0.0, 0.0], [0.0, 0.0, 0.8]])
        found = match(3, 2, PREVIOUS, jaccard=jaccard, centroids=None, new_identity=fresh)
        assert [m.identity_id for m in found] == [B, A, OTHER]
        assert all(m.inherited for m in found)

    def test_a_different_group_gets_a_new_identity(self) -> None:
        jaccard = np.array([[0.3, 0.1, 0.0], [0.0, 0.9, 0.0]])
        found = match(2, None, PREVIOUS, jaccard=jaccard, centroids=None, new_identity=fresh)
        assert not found[0].inherited
        assert found[0].identity_id not in (A, B, OTHER)
        assert found[1].identity_id == B

    def test_other_only_matches_other(self) -> None:
        jaccard = np.array([[0.0, 0.0, 0.99], [0.1, 0.0, 0.0]])
        found = match(2, 1, PREVIOUS, jaccard=jaccard, centroids=None, new_identity=fresh)
        assert found[0].identity_id not in (OTHER, A, B)
        assert found[1].identity_id == OTHER


class TestCentroids:
    def test_close_centroids_match_without_assignments(self) -> None:
        scale = Scale(("x",), np.array([5.0]), np.array([5.0]), np.array([1.0]))
        centroids = np.array([[2.5], [-0.9]])  # scaled: x = 17.5 and 0.5
        similarity = centroid_similarity(scale, centroids, PREVIOUS[:2])
        found = match(2, None, PREVIOUS[:2], jaccard=None, centroids=similarity, new_identity=fresh)
        assert found[1].identity_id == A
        assert not found[0].inherited  # 2.5 is 1.5 from B (1.0): a new group

    def test_first_generation_gets_new_identities(self) -> None:
        found = match(3, None, [], jaccard=None, centroids=None, new_identity=fresh)
        assert len({m.identity_id for m in found}) == 3
        assert not any(m.inherited for m in found)
