"""Guards on model declarations that the migration tooling turns into DDL."""

from __future__ import annotations

from tortoise import Tortoise


def test_no_table_description_contains_a_semicolon() -> None:
    # Tortoise writes model docstrings into SQLite DDL comments and its SQLite migration
    # runner splits statements on ";": a semicolon in a docstring breaks `migrate`.
    offenders = [
        name
        for app_models in (Tortoise.apps or {}).values()
        for name, model in app_models.items()
        if ";" in (model._meta.table_description or "")
    ]
    assert offenders == []
