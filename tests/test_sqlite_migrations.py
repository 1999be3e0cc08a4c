"""Tortoise's SQLite AlterField rebuilds a table without its plain indexes: the migrated schema
must still have every index the models declare (a lost unique index once let duplicates in)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_migrating_sqlite_keeps_every_index_the_models_declare() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
