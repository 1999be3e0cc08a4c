from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.metrics import adjusted_rand_score

from app.personas.features import Col, Vocabulary
from app.personas.model import ModelConfig, cluster, design, fold_small, id_hashes, sample_rows
from tests.personas.synthetic import blobs, features

CONFIG = ModelConfig(seed=7, min_size=10)


class TestClustering:
    def test_separated_groups_are_found_with_k_chosen_in_range(self) -> None:
        data, truth = blobs([300, 200, 150, 250])
        result = cluster(data, CONFIG)
        assert 3 <= result.k <= 8
        assert set(result.details["silhouette"]) == {str(k) for k in range(3, 9)}
        assert adjusted_rand_score(truth, result.labels) > 0.9
        assert sum(result.sizes) == len(data)
        assert result.sizes == sorted(result.sizes, reverse=True)

    def test_the_previous_k_is_kept_on_a_near_tie_only(self) -> None:
        data, _ = blobs([300, 200, 150, 250])
        free = cluster(data, CONFIG)
        scores = {int(k): v for k, v in free.details["silhouette"].items()}
        near = [k for k, v in scores.items() if k != free.k and v >= scores[free.k] - 0.02]
        far = [k for k, v in scores.items() if v < scores[free.k] - 0.02]
        for k in near:
            kept = cluster(data, dataclasses.replace(CONFIG, preferred_k=k))
            assert kept.k == k
        for k in far:
            assert cluster(data, dataclasses.replace(CONFIG, preferred_k=k)).k == free.k

    def test_deterministic_for_a_seed(self) -> None:
        data, _ = blobs([200, 200, 200])
        first = cluster(data, CONFIG)
        second = cluster(data, CONFIG)
        assert np.array_equal(first.labels, second.labels)
        assert np.allclose(first.centroids, second.centroids)

    def test_identical_customers_make_one_group(self) -> None:
        data = features({}, 50)
        result = cluster(data, CONFIG)
        assert result.k == 1
        assert result.sizes == [50]
        assert result.other is None

    def test_k_never_exceeds_customers_over_the_minimum_size(self) -> None:
        data, _ = blobs([15, 15, 15, 15])
        result = cluster(data, ModelConfig(seed=1, min_size=20))
        assert result.k <= 3
        assert min(result.sizes) >= 20

    def test_one_huge_customer_is_folded_into_a_large_group(self) -> None:
        data, _ = blobs([100, 100, 100])
        data.values[0, int(Col.SPENT)] = 5e7
        data.values[0, int(Col.ORDERS)] = 5_000
        result = cluster(data, CONFIG)
        assert min(result.sizes) >= CONFIG.min_size

    def test_missing_ages_and_empty_vocabularies_are_fine(self) -> None:
        data, _ = blobs([60, 60, 60])
        data.values[:, int(Col.AGE)] = np.nan
        x, names, weights = design(data)
        assert not np.isnan(x).any()
        assert names[: len(names)] == names
        assert len(weights) == len(names)
        assert cluster(data, CONFIG).k >= 1


class TestFolding:
    def test_small_groups_become_other_when_other_is_big_enough(self) -> None:
        labels = np.array([0] * 50 + [1] * 30 + [2] * 6 + [3] * 5, dtype=np.int32)
        x = np.zeros((len(labels), 2), dtype=np.float32)
        centroids = np.zeros((4, 2))
        folded, sizes, other = fold_small(x, labels, centroids, 10, 1000)
        assert sizes == [50, 30, 11]
        assert other == 2
        assert (folded[-11:] == 2).all()

    def test_otherwise_small_groups_join_their_nearest_group(self) -> None:
        labels = np.array([0] * 40 + [1] * 30 + [2] * 4, dtype=np.int32)
        x = np.zeros((len(labels), 1), dtype=np.float32)
        x[-4:] = 9.0
        centroids = np.array([[0.0], [10.0], [9.0]])
        folded, sizes, other = fold_small(x, labels, centroids, 10, 1000)
        assert other is None
        assert sizes == [40, 34]
        assert (folded[-4:] == 1).all()


class TestSampling:
    def test_the_sample_is_stable_when_customers_are_added(self) -> None:
        data, _ = blobs([500, 500])
        more, _ = blobs([500, 500, 100], seed=0)
        first = {bytes(data.ids[i]) for i in sample_rows(data.ids, 200)}
        union = np.concatenate([data.ids, more.ids[:50]])
        second = {bytes(union[i]) for i in sample_rows(union, 200)}
        assert len(first & second) >= 180

    def test_hashes_spread(self) -> None:
        data, _ = blobs([1000])
        hashes = id_hashes(data.ids)
        assert len(set(hashes.tolist())) == 1000
        top_bits = (hashes >> np.uint64(63)).astype(int)
        assert 400 < top_bits.sum() < 600


class TestDesign:
    def test_shares_and_rates_are_bounded(self) -> None:
        vocab = Vocabulary(categories=("a", "b"), tags=("t",))
        data = features(
            {Col.EARNED_POINTS: np.array([100, 0]), Col.REDEEMED_POINTS: np.array([250, 10])},
            2,
            vocabulary=vocab,
            categories=np.array([[20, 0], [10, 10]]),
            tags=np.array([[1], [3]]),
        )
        x, names, _ = design(data)
        col = {n: i for i, n in enumerate(names)}
        assert x[:, col["redemption"]].tolist() == [1.0, 0.0]
        assert x[:, col["category:a"]].tolist() == [1.0, 0.5]
        assert x[:, col["tag:t"]].tolist() == [1.0, 1.0]
