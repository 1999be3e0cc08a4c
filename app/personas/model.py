"""From features to groups: transform, scale, choose k, cluster, fold small groups into Other.

Pure numpy and scikit-learn, no database and no clock, so it can run in a worker thread and
is deterministic: the same features and seed give the same labels.

1. Design matrix: per customer, in this order (log1p tames money and counts, shares are 0..1)
       recency        log1p(days since the last order)
       frequency      log1p(orders per 30.44 days of tenure, tenure at least 30 days)
       orders         log1p(completed orders)
       spend          log1p(total spend)
       order_value    log1p(spend / orders)
       redemption     points redeemed / points earned, 0..1
       referrals      log1p(customers referred)
       interval_variation  spread / mean of the days between orders (0 = clockwork), capped
                      at 2; the median for customers with fewer than 3 orders
       age            years, the median where unknown
       category:<c>   share of item spend in category c
       tag:<t>        share of item lines carrying tag t
   Each column is standardized (mean 0, standard deviation 1, constant columns become 0),
   clipped to ±4 (one extreme customer cannot stretch the space), and weighted: behaviour
   columns 1, age 0.5, and each of the category and tag blocks 1.5 in total (each of its K
   columns 1.5/√K), so a long vocabulary does not drown the behaviour.
2. Sample: the `sample_size` customers with the smallest hash of their id. A hash rather than a
   random draw: the same customers are sampled next month, plus a share of the new ones.
3. k: KMeans (k-means++, `n_init` starts, fixed seed) on the sample for every k in 3..8, capped
   by customers / minimum size and by distinct points; the k with the best silhouette on the
   first `silhouette_size` sampled customers wins (a smaller k on ties within 0.005); the
   previous set's k is kept while its silhouette is within 0.02 of the best (hysteresis: a near
   tie does not reshuffle the personas from one refresh to the next), and for that k one more
   run starts from the previous centroids and is kept unless its inertia is over 1% worse.
4. Refinement: the sample's centroids go through `refine_passes` Lloyd iterations over all
   customers, chunk by chunk (memory stays bounded), then every customer gets its nearest one.
5. Anonymity: groups smaller than the minimum size are folded into one "Other" group; when
   Other itself would be too small, its customers go to their nearest remaining group instead.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from app.personas.features import Col, CustomerFeatures
from app.personas.rules import K_MAX, K_MIN

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

# scikit-learn and scipy are imported where they are used: they are half of a worker's memory
# (~100 MB), and most jobs a worker runs (imports, wallets) never cluster anything.

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

DAYS_PER_MONTH = 30.44
MIN_TENURE_DAYS = 30.0
CLIP = 4.0
BEHAVIOUR = (
    "recency",
    "frequency",
    "orders",
    "spend",
    "order_value",
    "redemption",
    "referrals",
    "interval_variation",
)
# Interval variation is measured from 3 orders (2 gaps) on; it is capped at this value.
MIN_ORDERS_FOR_INTERVALS = 3
MAX_INTERVAL_VARIATION = 2.0
AGE_WEIGHT = 0.5
CATEGORY_BLOCK_WEIGHT = 1.5
TAG_BLOCK_WEIGHT = 1.5
SILHOUETTE_TIE = 0.005
K_STICKINESS = 0.02
WARM_START_SLACK = 0.01


@dataclass(frozen=True)
class ModelConfig:
    seed: int
    min_size: int
    k_min: int = K_MIN
    k_max: int = K_MAX
    sample_size: int = 20_000
    silhouette_size: int = 3_000
    n_init: int = 5
    refine_passes: int = 2
    chunk_rows: int = 65_536
    # The previous set's k: kept while its silhouette is within K_STICKINESS of the best, so a
    # near tie does not reshuffle every persona from one month to the next.
    preferred_k: int | None = None
    # The previous set's centroids (transformed units by column name, Other left out): a warm
    # start for that k.
    previous_centroids: tuple[dict[str, float], ...] = ()


@dataclass(frozen=True)
class Scale:
    """How design columns were standardized and weighted in one run."""

    names: tuple[str, ...]
    mean: F64
    std: F64
    weight: F64

    def to_scaled(self, raw: dict[str, float]) -> F64:
        """A centroid in transformed units (by column name) to this run's scaled space;
        columns it lacks are taken at this run's mean."""
        values = np.array([raw.get(n, m) for n, m in zip(self.names, self.mean, strict=True)])
        std = np.where(self.std > 0, self.std, 1.0)
        scaled: F64 = np.clip((values - self.mean) / std, -CLIP, CLIP) * self.weight
        return scaled

    def to_raw(self, scaled: F64) -> dict[str, float]:
        std = np.where(self.std > 0, self.std, 0.0)
        raw = scaled / np.where(self.weight > 0, self.weight, 1.0) * std + self.mean
        return {n: round(float(v), 6) for n, v in zip(self.names, raw, strict=True)}


@dataclass
class Clustering:
    """Groups of one run. Group `g` holds the customers with `labels == g`; groups are ordered
    by decreasing size, and Other (if any) is the last one."""

    labels: npt.NDArray[np.int16]
    sizes: list[int]
    other: int | None
    # Per group, in this run's scaled space and in transformed units by column name.
    centroids: F64
    raw_centroids: list[dict[str, float]]
    scale: Scale
    k: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def groups(self) -> int:
        return len(self.sizes)


# --- design matrix ----------------------------------------------------------------------------


def interval_variation(features: CustomerFeatures) -> tuple[F32, npt.NDArray[np.bool_]]:
    """Coefficient of variation of the days between orders, and where it is measured."""
    mean = features.column(Col.GAP_MEAN_DAYS)
    spread = features.column(Col.GAP_SD_DAYS)
    measured = (features.column(Col.ORDERS) >= MIN_ORDERS_FOR_INTERVALS) & (mean > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(measured, spread / np.where(mean > 0, mean, 1.0), 0.0)
    return np.clip(cv, 0.0, MAX_INTERVAL_VARIATION).astype(np.float32), measured


def design(features: CustomerFeatures) -> tuple[F32, tuple[str, ...], tuple[float, ...]]:
    """The transformed, unscaled design matrix, its column names and block weights."""
    n = len(features)
    vocab = features.vocabulary
    names = (
        *BEHAVIOUR,
        "age",
        *(f"category:{c}" for c in vocab.categories),
        *(f"tag:{t}" for t in vocab.tags),
    )
    x = np.empty((n, len(names)), dtype=np.float32)
    col = features.column
    orders = np.maximum(col(Col.ORDERS), 1.0)
    tenure = np.maximum(col(Col.TENURE_DAYS), MIN_TENURE_DAYS)
    spend = np.maximum(col(Col.SPENT), 0.0)
    earned = col(Col.EARNED_POINTS)
    x[:, 0] = np.log1p(col(Col.RECENCY_DAYS))
    x[:, 1] = np.log1p(col(Col.ORDERS) / tenure * DAYS_PER_MONTH)
    x[:, 2] = np.log1p(col(Col.ORDERS))
    x[:, 3] = np.log1p(spend)
    x[:, 4] = np.log1p(spend / orders)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(earned > 0, col(Col.REDEEMED_POINTS) / earned, 0.0)
    x[:, 5] = np.clip(rate, 0.0, 1.0)
    x[:, 6] = np.log1p(np.maximum(col(Col.REFERRALS), 0.0))
    variation, measured = interval_variation(features)
    x[:, 7] = np.where(
        measured, variation, float(np.median(variation[measured])) if measured.any() else 0.0
    )
    age = col(Col.AGE)
    known = ~np.isnan(age)
    x[:, 8] = np.where(known, age, float(np.median(age[known])) if known.any() else 0.0)
    first = len(BEHAVIOUR) + 1
    kc = len(vocab.categories)
    item_spend = np.maximum(col(Col.ITEM_SPEND), 1e-6)[:, None]
    items = np.maximum(col(Col.ITEMS), 1.0)[:, None]
    if kc:
        x[:, first : first + kc] = np.clip(features.categories / item_spend, 0.0, 1.0)
    if vocab.tags:
        x[:, first + kc :] = np.clip(features.tags / items, 0.0, 1.0)
    weights = (
        *(1.0 for _ in BEHAVIOUR),
        AGE_WEIGHT,
        *(CATEGORY_BLOCK_WEIGHT / math.sqrt(kc) for _ in range(kc)),
        *(TAG_BLOCK_WEIGHT / math.sqrt(len(vocab.tags)) for _ in vocab.tags),
    )
    return x, names, weights


def standardize(x: F32, names: tuple[str, ...], weights: tuple[float, ...]) -> Scale:
    """Standardize and weight `x` in place; returns the parameters."""
    mean = np.zeros(x.shape[1])
    std = np.zeros(x.shape[1])
    for j in range(x.shape[1] if len(x) else 0):
        column64 = x[:, j].astype(np.float64)
        mean[j] = column64.mean()
        std[j] = column64.std()
    # Float noise on a constant column is not a spread.
    std = np.where(std > 1e-9 * np.maximum(np.abs(mean), 1.0), std, 0.0)
    weight = np.asarray(weights, dtype=np.float64)
    safe = np.where(std > 0, std, 1.0)
    for j in range(x.shape[1]):
        column = x[:, j]
        if std[j] == 0:
            column[:] = 0.0
            continue
        column -= np.float32(mean[j])
        column /= np.float32(safe[j])
        np.clip(column, -CLIP, CLIP, out=column)
        column *= np.float32(weight[j])
    return Scale(names=names, mean=mean, std=std, weight=weight)


# --- sampling ---------------------------------------------------------------------------------


def id_hashes(ids: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """A well-mixed 64-bit hash of each 16-byte id (splitmix64 of both halves)."""
    halves = np.ascontiguousarray(ids).view(">u8").reshape(-1, 2).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = halves[:, 0] ^ (halves[:, 1] * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        hashed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return hashed


def sample_rows(ids: npt.NDArray[np.uint8], size: int) -> npt.NDArray[np.intp]:
    """Rows of the `size` smallest id hashes, in hash order (ties by row)."""
    hashes = id_hashes(ids)
    order = np.argsort(hashes, kind="stable")
    return order[: min(size, len(order))]


# --- clustering -------------------------------------------------------------------------------


def _nearest(x: F32, centroids: F64, chunk_rows: int) -> tuple[I32, F64]:
    """Nearest centroid and squared distance of every row, chunk by chunk."""
    n = len(x)
    labels = np.empty(n, dtype=np.int32)
    distances = np.empty(n, dtype=np.float64)
    c = centroids.astype(np.float32)
    c_norm = (c * c).sum(axis=1)
    for start in range(0, n, chunk_rows):
        block = x[start : start + chunk_rows]
        d = c_norm[None, :] - 2.0 * (block @ c.T)
        best = d.argmin(axis=1)
        labels[start : start + len(block)] = best
        row_norm = (block * block).sum(axis=1)
        distances[start : start + len(block)] = np.maximum(
            d[np.arange(len(block)), best] + row_norm, 0.0
        )
    return labels, distances


def _sums(
    x: F32, labels: npt.NDArray[Any], groups: int, chunk_rows: int = 65_536
) -> tuple[F64, npt.NDArray[np.int64]]:
    """Per-group column sums and counts: a one-hot float32 product per chunk (one BLAS call),
    accumulated in float64 across chunks."""
    sums = np.zeros((groups, x.shape[1]), dtype=np.float64)
    counts = np.zeros(groups, dtype=np.int64)
    for start in range(0, len(x), chunk_rows):
        block = x[start : start + chunk_rows]
        index = labels[start : start + chunk_rows].astype(np.intp)
        onehot = np.zeros((len(block), groups), dtype=np.float32)
        onehot[np.arange(len(block)), index] = 1.0
        sums += onehot.T @ block
        counts += np.bincount(index, minlength=groups)
    return sums, counts


def _refine(x: F32, centroids: F64, passes: int, chunk_rows: int) -> F64:
    """Lloyd iterations over all rows (distances chunk by chunk); an emptied centroid stays."""
    k = len(centroids)
    current = centroids.copy()
    for _ in range(passes):
        labels, _ = _nearest(x, current, chunk_rows)
        sums, counts = _sums(x, labels, k)
        moved = counts > 0
        current[moved] = sums[moved] / counts[moved, None]
    return current


def _kmeans(sample: F32, k: int, config: ModelConfig, warm: F64 | None = None) -> KMeans:
    """k-means++ with `n_init` starts; with `warm` (k previous centroids), also one run started
    from them, kept unless its inertia is more than WARM_START_SLACK worse: the same structure
    then lands on the same groups however the sample happens to be ordered."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    model = KMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed)
    with warnings.catch_warnings():
        # Only possible with many duplicate points; the caller caps k by distinct points.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(sample)
        if warm is not None and len(warm) == k:
            started = KMeans(n_clusters=k, init=warm, n_init=1, random_state=config.seed)
            started.fit(sample)
            if started.inertia_ <= model.inertia_ * (1.0 + WARM_START_SLACK):
                return started
    return model


def choose_k(
    sample: F32, config: ModelConfig, n: int, warm: F64 | None = None
) -> tuple[int, dict[int, float], F64]:
    """The number of groups and the sample centroids; silhouette per candidate k."""
    from sklearn.metrics import silhouette_score

    distinct = len(np.unique(sample, axis=0)) if len(sample) else 0
    k_high = min(config.k_max, n // max(config.min_size, 1), distinct)
    if k_high <= 1:
        centroid = sample.mean(axis=0, dtype=np.float64)[None, :] if len(sample) else None
        return 1, {}, centroid if centroid is not None else np.zeros((1, sample.shape[1]))
    k_low = min(config.k_min, k_high)
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    probe = sample[: config.silhouette_size]
    for k in range(k_low, k_high + 1):
        model = _kmeans(sample, k, config, warm)
        models[k] = model
        labels = model.predict(probe)
        if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(probe):
            scores[k] = -1.0
            continue
        scores[k] = float(silhouette_score(probe, labels))
    best = max(scores.values())
    chosen = min(k for k, s in scores.items() if s >= best - SILHOUETTE_TIE)
    preferred = config.preferred_k
    if preferred is not None and preferred in scores and scores[preferred] >= best - K_STICKINESS:
        chosen = preferred
    return chosen, scores, models[chosen].cluster_centers_.astype(np.float64)


def cluster(features: CustomerFeatures, config: ModelConfig) -> Clustering:
    """Group the customers; see the module docstring for every step.

    Single-threaded BLAS and OpenMP: the work is a small sample plus a few matrix passes, and on
    a shared machine (a worker next to PostgreSQL) their spin-waiting threads made it 3x slower.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _cluster(features, config)


def _cluster(features: CustomerFeatures, config: ModelConfig) -> Clustering:
    n = len(features)
    if n == 0:
        raise ValueError("no customers to cluster")
    x, names, weights = design(features)
    scale = standardize(x, names, weights)
    rows = sample_rows(features.ids, config.sample_size)
    sample = x[rows]
    warm = (
        np.array([scale.to_scaled(c) for c in config.previous_centroids], dtype=np.float64)
        if config.previous_centroids
        else None
    )
    k, scores, centroids = choose_k(sample, config, n, warm)
    if k > 1:
        centroids = _refine(x, centroids, config.refine_passes, config.chunk_rows)
    labels, distances = _nearest(x, centroids, config.chunk_rows)
    folded = fold_small(x, labels, centroids, config.min_size, config.chunk_rows)
    final_labels, sizes, other = folded
    group_centroids = _group_means(x, final_labels, len(sizes), config.chunk_rows)
    details: dict[str, Any] = {
        "k": k,
        "silhouette": {str(key): round(value, 4) for key, value in sorted(scores.items())},
        "sampleSize": len(rows),
        "customers": n,
        "features": list(names),
        "inertia": round(float(distances.sum()) / n, 6),
    }
    return Clustering(
        labels=final_labels,
        sizes=sizes,
        other=other,
        centroids=group_centroids,
        raw_centroids=[scale.to_raw(c) for c in group_centroids],
        scale=scale,
        k=k,
        details=details,
    )


def fold_small(
    x: F32, labels: I32, centroids: F64, min_size: int, chunk_rows: int
) -> tuple[npt.NDArray[np.int16], list[int], int | None]:
    """Relabel: groups by decreasing size (ties by centroid order), groups under `min_size`
    folded into a last "Other" group, or into their nearest large group when Other itself would
    stay under `min_size`."""
    k = len(centroids)
    counts = np.bincount(labels, minlength=k)
    large = [g for g in range(k) if counts[g] >= min_size]
    small = [g for g in range(k) if 0 < counts[g] < min_size]
    if not large:
        # Cannot happen when k <= n // min_size (the largest group has at least n / k).
        large, small = [int(np.argmax(counts))], [g for g in range(k) if g != np.argmax(counts)]
    order = sorted(large, key=lambda g: (-int(counts[g]), g))
    mapping = np.full(k, -1, dtype=np.int64)
    for new, g in enumerate(order):
        mapping[g] = new
    other: int | None = None
    folded_count = int(sum(int(counts[g]) for g in small))
    result = np.empty(len(labels), dtype=np.int16)
    if small and folded_count >= min_size:
        other = len(order)
        mapping[small] = other
        result[:] = mapping[labels]
    else:
        result[:] = np.where(mapping[labels] >= 0, mapping[labels], -1)
        stray = np.flatnonzero(result < 0)
        if len(stray):
            kept = centroids[order]
            nearest, _ = _nearest(x[stray], kept, chunk_rows)
            result[stray] = nearest.astype(np.int16)
    groups = len(order) + (1 if other is not None else 0)
    sizes = np.bincount(result.astype(np.int64), minlength=groups).tolist()
    return result, [int(s) for s in sizes], other


def _group_means(x: F32, labels: npt.NDArray[np.int16], groups: int, chunk_rows: int) -> F64:
    sums, counts = _sums(x, labels, groups)
    out: F64 = sums / np.maximum(counts, 1)[:, None]
    return out
