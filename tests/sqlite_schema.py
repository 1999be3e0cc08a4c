"""Prints every index the models declare that migrating a fresh SQLite database does not
create (one line per table; nothing when they agree). Run in its own process: it opens its own
Tortoise contexts, which must not meet the test session's."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from pathlib import Path

from tortoise import Tortoise

from app.db import migrate, tortoise_config

Indexes = dict[str, set[tuple[tuple[str, ...], int]]]


def indexes(path: Path) -> Indexes:
    con = sqlite3.connect(path)
    found: Indexes = {}
    try:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            entries = set()
            for row in con.execute(f"PRAGMA index_list('{table}')"):
                columns = tuple(r[2] for r in con.execute(f"PRAGMA index_info('{row[1]}')"))
                entries.add((columns, int(row[2])))
            found[table] = entries
    finally:
        con.close()
    return found


async def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        migrated, generated = Path(directory) / "migrated.db", Path(directory) / "generated.db"
        await migrate(f"sqlite://{migrated}")
        await Tortoise.init(config=tortoise_config(f"sqlite://{generated}"))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()
        want, have = indexes(generated), indexes(migrated)
    lost = 0
    for table in sorted(want):
        missing = want[table] - have.get(table, set())
        if missing:
            lost += 1
            print(f"{table}: {sorted(missing)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
