"""Feature matrices built in memory, for the pure model and explanation tests."""

from __future__ import annotations

import datetime as dt

import numpy as np

from app.personas.features import BASE_COLUMNS, Col, CustomerFeatures, Vocabulary

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def ids(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    order = np.argsort(raw.view("S16").reshape(-1), kind="stable")
    return np.ascontiguousarray(raw[order])


def features(
    columns: dict[Col, np.ndarray],
    n: int,
    *,
    vocabulary: Vocabulary | None = None,
    categories: np.ndarray | None = None,
    tags: np.ndarray | None = None,
    seed: int = 0,
) -> CustomerFeatures:
    """Defaults: one order of 20.00 ten days ago, nothing else; NaN age."""
    vocab = vocabulary or Vocabulary()
    width = BASE_COLUMNS + len(vocab.categories) + len(vocab.tags)
    values = np.zeros((n, width), dtype=np.float32)
    values[:, int(Col.ORDERS)] = 1
    values[:, int(Col.SPENT)] = 20
    values[:, int(Col.ITEMS)] = 1
    values[:, int(Col.ITEM_SPEND)] = 20
    values[:, int(Col.RECENCY_DAYS)] = 10
    values[:, int(Col.TENURE_DAYS)] = 10
    values[:, int(Col.AGE)] = np.nan
    for col, data in columns.items():
        values[:, int(col)] = data
    k = len(vocab.categories)
    if categories is not None:
        values[:, BASE_COLUMNS : BASE_COLUMNS + k] = categories
    if tags is not None:
        values[:, BASE_COLUMNS + k :] = tags
    return CustomerFeatures(ids=ids(n, seed), values=values, vocabulary=vocab, now=AS_OF)


def blobs(sizes: list[int], seed: int = 0) -> tuple[CustomerFeatures, np.ndarray]:
    """Well separated groups: cheap frequent redeemers, rare big spenders, referrers, ..."""
    rng = np.random.default_rng(seed)
    profiles = [
        # orders, spent per order, recency, redeemed share, referrals
        (12, 15, 5, 0.9, 0),
        (2, 600, 60, 0.0, 0),
        (4, 60, 30, 0.2, 4),
        (3, 40, 500, 0.0, 0),
    ]
    parts = []
    labels = []
    for g, size in enumerate(sizes):
        orders, per_order, recency, redeemed, referrals = profiles[g % len(profiles)]
        o = np.maximum(1, rng.poisson(orders, size)).astype(np.float32)
        spend = o * per_order * rng.uniform(0.8, 1.2, size)
        earned = spend
        part = {
            Col.ORDERS: o,
            Col.SPENT: spend,
            Col.ITEMS: o,
            Col.ITEM_SPEND: spend,
            Col.RECENCY_DAYS: recency * rng.uniform(0.8, 1.2, size),
            Col.TENURE_DAYS: 400 + rng.uniform(0, 100, size),
            Col.EARNED_POINTS: earned,
            Col.REDEEMED_POINTS: earned * redeemed,
            Col.REDEMPTIONS: (redeemed > 0) * o,
            Col.REFERRALS: rng.poisson(referrals, size),
            Col.AGE: rng.uniform(25, 60, size),
        }
        parts.append(part)
        labels += [g] * size
    n = sum(sizes)
    merged = {c: np.concatenate([p[c] for p in parts]).astype(np.float32) for c in parts[0]}
    order = rng.permutation(n)
    shuffled = {c: v[order] for c, v in merged.items()}
    return features(shuffled, n, seed=seed), np.array(labels)[order]
