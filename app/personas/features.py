"""Per-customer features, read in bulk: one aggregate statement, streamed into float32 arrays.

Who is described: live customers (ACTIVE or ARCHIVED) of the organization with at least one
COMPLETED order. Members who never bought have no persona.

One statement aggregates every source once, set-based (hash aggregates, never one query per
customer), and returns one row per customer ordered by id:

    orders  (customer_order, COMPLETED, placed up to `now`, the "as of" moment): count,
             spend, days since the last and first order, orders placed in the customer's
             birthday month, mean and spread of the days between consecutive orders (a
             window over the customer's orders by time)
    items   (order_item of those orders): item lines, item spend, spend per top category,
             lines carrying each top tag
    ledger  (ledger_entry): points earned, points redeemed, redemptions, birthday rewards
    profile (customer): age from the birthday, country and city (codes into the vocabulary),
             and how many live customers it referred

Every output value is a non-null float4, so on PostgreSQL the rows travel as a binary COPY
stream of fixed-width records that numpy decodes without a Python object per value; the stream
is consumed as it arrives, so the process holds the final arrays plus one network chunk. On
SQLite (development) a cursor is read in chunks. Either way memory grows with customers ×
columns × 4 bytes (about 200 MB for a million customers), never with orders or items.

Why one statement rather than one per keyset chunk of customers: `order_item` is reached
through its order, and a chunk of customers would make PostgreSQL scan the items table once
per chunk; one statement scans each table once, in parallel. The result is still consumed in
chunks (network chunks on PostgreSQL, `chunk_rows` rows on SQLite).

The vocabulary (which categories, tags, countries and cities become columns) is read first:
exactly on small tables, from a repeatable page sample of `order_item` on large ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from app.personas.feature_columns import (
    BASE_COLUMNS,
    CONNECTION,
    F32,
    MAX_CATEGORIES,
    MAX_CITIES,
    MAX_COUNTRIES,
    MAX_LABEL_LENGTH,
    MAX_TAGS,
    MIN_LABEL_SHARE,
    U8,
    Col,
    Vocabulary,
)
from app.personas.repository import features as repository

__all__ = [
    "BASE_COLUMNS",
    "U8",
    "Col",
    "CustomerFeatures",
    "Vocabulary",
    "id_keys",
    "load_features",
    "load_vocabulary",
]


@dataclass
class CustomerFeatures:
    """One row per customer, sorted by customer id."""

    # (n, 16) customer ids, big-endian UUID bytes: the same order as the ids' text.
    ids: U8
    # (n, BASE_COLUMNS + categories + tags) float32; the properties below are views.
    values: F32
    vocabulary: Vocabulary
    now: dt.datetime

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def base(self) -> F32:
        return self.values[:, :BASE_COLUMNS]

    @property
    def categories(self) -> F32:
        """Item spend per vocabulary category."""
        k = len(self.vocabulary.categories)
        return self.values[:, BASE_COLUMNS : BASE_COLUMNS + k]

    @property
    def tags(self) -> F32:
        """Item lines carrying each vocabulary tag."""
        k = len(self.vocabulary.categories)
        return self.values[:, BASE_COLUMNS + k :]

    def column(self, col: Col) -> F32:
        return self.values[:, int(col)]

    def customer_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(bytes=bytes(row)) for row in self.ids]

    @classmethod
    def empty(cls, vocabulary: Vocabulary, now: dt.datetime) -> CustomerFeatures:
        width = BASE_COLUMNS + len(vocabulary.categories) + len(vocabulary.tags)
        return cls(np.zeros((0, 16), np.uint8), np.zeros((0, width), np.float32), vocabulary, now)


def id_keys(ids: U8) -> npt.NDArray[np.bytes_]:
    """(n, 16) id bytes as sortable fixed-width keys for `np.searchsorted`.

    `S16` drops trailing zero bytes when comparing, which keeps both equality and byte order
    of equal-length keys.
    """
    return np.ascontiguousarray(ids).view("S16").reshape(-1)


# --- vocabulary -------------------------------------------------------------------------------


def _top_labels(counts: dict[str, int], total: int, limit: int) -> tuple[str, ...]:
    if total <= 0:
        return ()
    kept = [
        (n, label)
        for label, n in counts.items()
        if label.strip() and len(label) <= MAX_LABEL_LENGTH and n / total >= MIN_LABEL_SHARE
    ]
    kept.sort(key=lambda x: (-x[0], x[1]))
    return tuple(label for _, label in kept[:limit])


async def load_vocabulary(
    organization_id: uuid.UUID, conn: BaseDBAsyncClient | None = None
) -> Vocabulary:
    """Which categories, tags, countries and cities become feature columns."""
    db = conn or connections.get(CONNECTION)
    categories, tags, total = await repository.label_counts(db, organization_id)
    places = await repository.place_counts(db, organization_id)
    country_counts: dict[str, int] = {}
    city_counts: dict[tuple[str, str], int] = {}
    for row in places:
        country, city, n = str(row["country"]), str(row["city"]), int(row["n"])
        if country:
            country_counts[country] = country_counts.get(country, 0) + n
        if city and len(city) <= MAX_LABEL_LENGTH:
            city_counts[(country, city)] = n
    countries = sorted(country_counts.items(), key=lambda x: (-x[1], x[0]))[:MAX_COUNTRIES]
    cities = sorted(city_counts.items(), key=lambda x: (-x[1], x[0]))[:MAX_CITIES]
    return Vocabulary(
        categories=_top_labels(categories, total, MAX_CATEGORIES),
        tags=_top_labels(tags, total, MAX_TAGS),
        countries=tuple(c for c, _ in countries),
        cities=tuple(c for c, _ in cities),
    )


# --- reading ----------------------------------------------------------------------------------


async def load_features(
    organization_id: uuid.UUID,
    now: dt.datetime,
    vocabulary: Vocabulary,
    *,
    conn: BaseDBAsyncClient | None = None,
    chunk_rows: int = 20_000,
) -> CustomerFeatures:
    db = conn or connections.get(CONNECTION)
    ids, matrix = await repository.read_features(db, organization_id, now, vocabulary, chunk_rows)
    age = matrix[:, int(Col.AGE)]
    age[age < 0] = np.nan
    # Negative spans come from orders dated a little in the future (till clock skew).
    for col in (Col.RECENCY_DAYS, Col.TENURE_DAYS):
        np.maximum(matrix[:, int(col)], 0, out=matrix[:, int(col)])
    mean = matrix[:, int(Col.GAP_MEAN_DAYS)]
    squares = matrix[:, int(Col.GAP_SD_DAYS)]
    spread = np.sqrt(np.maximum(squares - mean * mean, 0.0), dtype=np.float32)
    matrix[:, int(Col.GAP_SD_DAYS)] = np.where(squares > 0, spread, 0.0)
    return CustomerFeatures(ids=ids, values=matrix, vocabulary=vocabulary, now=now)
