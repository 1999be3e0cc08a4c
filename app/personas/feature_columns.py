"""The shape of the persona feature matrix: its columns, its vocabulary and its limits.

Shared by the statement that reads it (`app.personas.repository.features`) and the code that
uses it (`app.personas.features`, the model, the portraits).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

CONNECTION = "default"
BIRTHDAY_REASON = "birthday reward"
# Vocabulary sizes: columns of the feature matrix.
MAX_CATEGORIES = 16
MAX_TAGS = 24
MAX_COUNTRIES = 24
MAX_CITIES = 48
# A category or tag becomes a column when at least this share of item lines carries it.
MIN_LABEL_SHARE = 0.01
MAX_LABEL_LENGTH = 100
# Vocabulary from a page sample when order_item holds more rows than this (PostgreSQL).
SAMPLE_ABOVE_ROWS = 2_000_000
SAMPLE_TARGET_ROWS = 200_000
SAMPLE_MIN_MATCHES = 5_000
SAMPLE_SEED = 17
DAYS_PER_YEAR = 365.2425
# Age is unknown: the statement returns this, the arrays hold NaN.
_NO_AGE = -1.0


class Col(IntEnum):
    """Columns of `CustomerFeatures.base`, in statement order."""

    ORDERS = 0
    SPENT = 1
    RECENCY_DAYS = 2
    TENURE_DAYS = 3
    BIRTHDAY_MONTH_ORDERS = 4
    ITEMS = 5
    ITEM_SPEND = 6
    EARNED_POINTS = 7
    REDEEMED_POINTS = 8
    REDEMPTIONS = 9
    BIRTHDAY_REWARDS = 10
    REFERRALS = 11
    AGE = 12
    COUNTRY = 13  # 0: unknown or not in the vocabulary, i: vocabulary.countries[i - 1]
    CITY = 14  # 0: unknown, i: vocabulary.cities[i - 1]
    # Days between consecutive orders: mean and standard deviation (0 with fewer than 2 gaps).
    GAP_MEAN_DAYS = 15
    GAP_SD_DAYS = 16
    # Units bought and the orders they were counted on: the orders' own unit counts (an
    # import's quantity column) where known, else the quantities of their item lines.
    UNITS = 17
    UNIT_ORDERS = 18
    # The churn risk band of the customer's predictions (app.predictions): 1 for HIGH, 0 for
    # LOW or MEDIUM, -1 without predictions. Read as evidence only, never clustered on.
    HIGH_CHURN_RISK = 19


BASE_COLUMNS = len(Col)


@dataclass(frozen=True)
class Vocabulary:
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    # (country, city); the country may be "".
    cities: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "tags": list(self.tags),
            "countries": list(self.countries),
            "cities": [list(c) for c in self.cities],
        }
