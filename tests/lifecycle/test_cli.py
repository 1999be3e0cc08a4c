"""`loyalty segments recompute`: from a shell, on the embedded defaults (SQLite, no worker)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import json_of, run_loyalty


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("segments-cli")
    result = run_loyalty(
        home, "bootstrap", "--org-name", "Corner Shop", "--owner-email", "me@corner-shop.com"
    )
    assert result.returncode == 0, result.stderr
    org: str = json_of(result.stdout)["organizationId"]
    people = home / "people.csv"
    people.write_text("Customer ID,Email\nold,old@example.com\nnew,new@example.com\n")
    orders = home / "orders.csv"
    orders.write_text(
        "Customer ID,Order Number,Order Date,Total\n"
        "old,R-1,2024-03-01,20.00\nnew,R-2,2025-06-01,30.00\nnew,R-3,2025-12-20,30.00\n"
    )
    for kind, path in (("customers", people), ("orders", orders)):
        done = run_loyalty(home, "import", kind, str(path), "--org", org, "--wait")
        assert done.returncode == 0, done.stderr
    return home, org


def stages(home: Path) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(home / "data" / "loyalty.sqlite3") as db:
        rows = db.execute(
            "SELECT external_reference, lifecycle_stage, rfm_segment, order_count FROM customer"
        ).fetchall()
    return {str(r[0]): tuple(r[1:]) for r in rows}


def test_recompute_as_of_a_past_date_and_back_to_now(home: tuple[Path, str]) -> None:
    directory, org = home

    result = run_loyalty(directory, "segments", "recompute", "--org", org, "--as-of", "2025-01-01")

    assert result.returncode == 0, result.stderr
    assert json_of(result.stdout) == {
        "organizationId": org,
        "asOf": "2025-01-01T00:00:00+00:00",
        "changed": 2,
        "scored": 1,
    }
    # On 1 January 2025 only "old" had bought (10 months before: AT_RISK); "new" had not yet.
    # The statistics kept on the row are today's.
    assert stages(directory) == {
        "old": ("AT_RISK", "LOST", 1),
        "new": ("MEMBER", None, 2),
    }

    # Every organization, measured to now.
    result = run_loyalty(directory, "segments", "recompute")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["organizationId"], line["asOf"], line["scored"]) for line in lines] == [
        (org, None, 2)
    ]
    assert stages(directory)["new"][0] != "MEMBER"


def test_refusals(home: tuple[Path, str]) -> None:
    directory, org = home
    future = run_loyalty(directory, "segments", "recompute", "--org", org, "--as-of", "2999-01-01")
    assert future.returncode == 1
    assert json_of(future.stderr)["error"] == "AS_OF_IN_FUTURE"
    garbled = run_loyalty(directory, "segments", "recompute", "--as-of", "last quarter")
    assert (garbled.returncode, json_of(garbled.stderr)["error"]) == (1, "INVALID_ARGUMENT")
    unknown = run_loyalty(
        directory, "segments", "recompute", "--org", "01900000-0000-7000-8000-000000000000"
    )
    assert (unknown.returncode, json_of(unknown.stderr)["error"]) == (1, "NOT_FOUND")
