"""Input checks and grouping of identical customers, shared by the models.

A fit's cost grows with the number of distinct rows, not customers: customers with the same
(frequency, recency, age) contribute the same likelihood term, so they are collapsed into one row
with a weight. With ages and recencies measured in whole days there are far fewer distinct rows than
customers (a 1M-customer organization has tens of thousands), which is what makes a fit take
seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def as_float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    """`values` as a 1-D float array of finite numbers, or ValueError naming the argument."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain finite numbers only")
    return array


def customer_arrays(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Checked (x, t_x, T): whole x ≥ 0, 0 ≤ t_x ≤ T, t_x = 0 when x = 0, equal lengths."""
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    t = as_float_array(age, "age")
    if not x.shape == t_x.shape == t.shape:
        raise ValueError("frequency, recency and age must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers ≥ 0 (repeat purchases)")
    if np.any(t_x < 0) or np.any(t_x > t):
        raise ValueError("recency must lie between 0 and age")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 for a customer without repeat purchases")
    return x, t_x, t


def checked_weights(weights: npt.ArrayLike | None, length: int) -> FloatArray:
    """Weights (how many customers each row stands for); ones when None."""
    if weights is None:
        return np.ones(length, dtype=np.float64)
    w = as_float_array(weights, "weights")
    if w.shape != (length,):
        raise ValueError("weights must have one entry per customer row")
    if np.any(w < 0):
        raise ValueError("weights must be ≥ 0")
    return w


def group_identical(
    columns: Sequence[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """Distinct rows of `columns` with the summed weight of each; rows of weight 0 are dropped.

    A lexicographic sort and one pass over neighbours: cheaper than `np.unique(axis=0)`, which
    sorts a structured view.
    """
    keep = weights > 0
    if not np.all(keep):
        columns = [c[keep] for c in columns]
        weights = weights[keep]
    if weights.size == 0:
        return [c.copy() for c in columns], weights.copy()
    order = np.lexsort(tuple(reversed(columns)))
    ordered = [c[order] for c in columns]
    starts_group = np.zeros(weights.size, dtype=bool)
    starts_group[0] = True
    for column in ordered:
        starts_group[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(starts_group)
    summed = np.add.reduceat(weights[order], starts)
    return [c[starts] for c in ordered], summed


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights·values without BLAS: `np.dot` hands 20k-element products to OpenBLAS threads,
    which cost ~100x more than the arithmetic on a busy two-core machine."""
    return float(np.einsum("i,i->", weights, values))
