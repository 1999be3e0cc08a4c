"""Keeping a persona's identity across regenerations when it is the same group.

A new group inherits the identity (and so the roadmap) of a persona of the previous current set
when they are the same people:

1. Overlap, when the previous set's assignments are known for at least half of today's
   customers: the Jaccard index |new ∩ old| / |new ∪ old| over today's customers for every
   (new group, old persona) pair; new customers count in the new group only, customers gone
   since count in neither.
2. Otherwise, centroids: the distance between a new group's centroid and an old persona's
   (both brought into today's scaled space), turned into a similarity 1 / (1 + distance).

Pairs are chosen by the Hungarian algorithm on that similarity (one old persona for at most one
new group), and kept only above a threshold: Jaccard 0.5 (more than half of the union shared),
or a centroid distance under 1.0 (one standard deviation, in RMS over the features). "Other" is
only ever matched with "Other". Groups left unmatched get new identities.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.personas.model import Scale

MIN_JACCARD = 0.5
MAX_CENTROID_DISTANCE = 1.0
MIN_OVERLAP_COVERAGE = 0.5


@dataclass(frozen=True)
class PreviousPersona:
    identity_id: uuid.UUID
    is_other: bool
    # Centroid in transformed units, by design column name.
    centroid: dict[str, float]


@dataclass(frozen=True)
class Match:
    identity_id: uuid.UUID
    inherited: bool
    similarity: float | None


def overlap(
    labels: npt.NDArray[np.int16],
    groups: int,
    previous_index: npt.NDArray[np.int64],
    previous_count: int,
) -> npt.NDArray[np.float64]:
    """Jaccard index of every (new group, previous persona) pair.

    `previous_index[i]` is the previous persona (0..previous_count-1) of today's customer i,
    or -1 when it had none.
    """
    known = previous_index >= 0
    joint = np.bincount(
        labels[known].astype(np.int64) * previous_count + previous_index[known],
        minlength=groups * previous_count,
    ).reshape(groups, previous_count)
    new_sizes = np.bincount(labels.astype(np.int64), minlength=groups)
    old_sizes = np.bincount(previous_index[known], minlength=previous_count)
    union = new_sizes[:, None] + old_sizes[None, :] - joint
    out: npt.NDArray[np.float64] = np.where(union > 0, joint / np.maximum(union, 1), 0.0)
    return out


def centroid_similarity(
    scale: Scale, centroids: npt.NDArray[np.float64], previous: list[PreviousPersona]
) -> npt.NDArray[np.float64]:
    """1 / (1 + RMS distance) between new centroids and previous ones, in today's space."""
    old = np.array([scale.to_scaled(p.centroid) for p in previous], dtype=np.float64)
    if not len(old):
        return np.zeros((len(centroids), 0))
    dims = max(centroids.shape[1], 1)
    distance = np.sqrt(((centroids[:, None, :] - old[None, :, :]) ** 2).sum(axis=2) / dims)
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + distance)
    return out


def match(
    groups: int,
    other: int | None,
    previous: list[PreviousPersona],
    *,
    jaccard: npt.NDArray[np.float64] | None,
    centroids: npt.NDArray[np.float64] | None,
    new_identity: Callable[[], uuid.UUID],
) -> list[Match]:
    """An identity per new group (see the module docstring)."""
    if jaccard is not None:
        similarity, threshold = jaccard, MIN_JACCARD
    elif centroids is not None:
        similarity, threshold = centroids, 1.0 / (1.0 + MAX_CENTROID_DISTANCE)
    else:
        similarity, threshold = np.zeros((groups, len(previous))), 1.0
    # Other pairs only with Other: the rest of its row and column can never be chosen.
    allowed = np.array(
        [[(g == other) == p.is_other for p in previous] for g in range(groups)], dtype=np.bool_
    ).reshape(groups, len(previous))
    score = np.where(allowed, similarity, -1.0)
    result: list[Match | None] = [None] * groups
    if groups and previous:
        from scipy.optimize import linear_sum_assignment  # imported on use: see model.py

        rows, cols = linear_sum_assignment(score, maximize=True)
        for g, p in zip(rows.tolist(), cols.tolist(), strict=True):
            value = float(similarity[g, p])
            if allowed[g, p] and (value >= threshold or (g == other and previous[p].is_other)):
                result[g] = Match(previous[p].identity_id, True, round(value, 4))
    return [m if m is not None else Match(new_identity(), False, None) for m in result]


def coverage(previous_index: npt.NDArray[np.int64]) -> float:
    """Share of today's customers whose previous persona is known."""
    return float((previous_index >= 0).mean()) if len(previous_index) else 0.0
