"""`atomic()`: the one way services open a transaction.

It is Tortoise's `in_transaction` plus the after-commit job buffer of `app.core.jobs`: jobs a
service requests inside are sent only after the outermost transaction commits, and dropped when
it rolls back. Services never call `in_transaction` directly (a test checks), so "enqueue after
commit" cannot be forgotten.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.core import jobs


@contextlib.asynccontextmanager
async def atomic(connection_name: str | None = None) -> AsyncIterator[BaseDBAsyncClient]:
    # The job buffer encloses the transaction: its exit (which sends) runs after the commit.
    async with jobs.collecting(), in_transaction(connection_name) as connection:
        yield connection
