"""Import rows processed, counted per committed batch (a batch rolled back counts nothing)."""

from __future__ import annotations

from app.metrics.registry import IMPORT_ROWS


def count_import_rows(
    *, created: int, updated: int, unchanged: int, invalid: int, suppressed: int
) -> None:
    for outcome, rows in (
        ("created", created),
        ("updated", updated),
        ("unchanged", unchanged),
        ("invalid", invalid),
        ("suppressed", suppressed),
    ):
        if rows:
            IMPORT_ROWS.labels(outcome).inc(rows)
