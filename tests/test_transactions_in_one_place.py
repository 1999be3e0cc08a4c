"""Every transaction goes through `app.core.transactions.atomic`, so jobs asked for inside it
are sent only after it commits (app.core.jobs). A direct `in_transaction` would send them
before the commit, or not at all."""

from __future__ import annotations

import ast
from pathlib import Path

import app
import workers

ALLOWED = {Path(app.__file__).parent / "core" / "transactions.py"}


def _modules() -> list[Path]:
    roots = [Path(app.__file__).parent, Path(workers.__file__).parent]
    return sorted(p for root in roots for p in root.rglob("*.py"))


def _uses_in_transaction(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "in_transaction" for a in node.names):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "in_transaction":
            return True
    return False


def test_only_atomic_opens_transactions() -> None:
    offenders = [str(p) for p in _modules() if p not in ALLOWED and _uses_in_transaction(p)]
    assert offenders == []


def test_the_check_sees_a_direct_use(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from tortoise.transactions import in_transaction\n", encoding="utf-8")
    assert _uses_in_transaction(sample)
    sample.write_text("import tortoise.transactions\ntortoise.transactions.in_transaction()\n")
    assert _uses_in_transaction(sample)
    sample.write_text("from app.core.transactions import atomic\n", encoding="utf-8")
    assert not _uses_in_transaction(sample)
