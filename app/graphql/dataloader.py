"""The data loader every GraphQL field batches through.

Several fields of one request can wait on the same cached future (a customer's persona
selected under both `edges.node` and `nodes`). When graphql-core cancels one of those fields,
because a sibling's error nulls their parent, asyncio cancels the future the cancelled task
was awaiting: the shared one. Every other field waiting on it then raised `CancelledError`, a
`BaseException` that graphql-core lets through, and the request ended in HTTP 500. Each
caller here awaits its own shield of the shared future, so cancelling one caller never
reaches the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SharedDataLoader(DataLoader[K, T]):
    def load(self, key: K) -> Awaitable[T]:
        # The shield keeps the batch running for the other callers even when all of them
        # are cancelled; one query too many is the price, and it cannot hang anything.
        return asyncio.shield(super().load(key))
