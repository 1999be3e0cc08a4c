"""`loyalty import`: from a shell, on the embedded defaults (SQLite, no Redis, no worker)."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import json_of, run_loyalty


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("import-cli")
    result = run_loyalty(
        home, "bootstrap", "--org-name", "Corner Shop", "--owner-email", "me@corner-shop.com"
    )
    assert result.returncode == 0, result.stderr
    return home, json_of(result.stdout)["organizationId"]


def write(home: Path, name: str, text: str) -> Path:
    path = home / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_with_wait_shows_progress_and_runs_without_a_worker(
    home: tuple[Path, str],
) -> None:
    directory, org = home
    rows = "".join(f"c-{i},u{i}@example.com,(202) 555-{i:04d}\n" for i in range(250))
    path = write(directory, "customers.csv", "Customer ID,Email,Phone\n" + rows + "x,bad,\n")
    result = run_loyalty(
        directory, "import", "customers", str(path), "--org", org, "--wait", "--batch-size", "50"
    )
    assert result.returncode == 0, result.stderr
    summary = json_of(result.stdout)
    assert summary["status"] == "PARTIAL"
    assert summary["counts"] == {
        "total": 251,
        "processed": 251,
        "created": 250,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "suppressed": 0,
    }
    # A progress bar on stderr (plain lines when stderr is not a terminal).
    assert "[" in result.stderr
    assert "251/251 rows" in result.stderr
    with sqlite3.connect(directory / "data" / "loyalty.sqlite3") as db:
        count = db.execute("SELECT count(*) FROM customer WHERE organization_id = ?", (org,))
        assert count.fetchone() == (250,)

    report = run_loyalty(directory, "import", "errors", summary["importJobId"], "--org", org)
    assert report.returncode == 0, report.stderr
    assert list(csv.reader(io.StringIO(report.stdout))) == [
        ["row", "column", "code", "message"],
        ["252", "Email", "INVALID_EMAIL", "Email address is not valid."],
    ]


def test_dry_run_and_options(home: tuple[Path, str]) -> None:
    directory, org = home
    path = write(directory, "dry.csv", "Mail;Shoe\nnew@example.com;42\n")
    result = run_loyalty(
        directory,
        "import",
        "customers",
        str(path),
        "--org",
        org,
        "--dry-run",
        "--wait",
        "--map",
        "Mail=email",
        "--traits",
        "--policy",
        "create-only",
        "--sms-double-opt-in",
        "immediately",
    )
    assert result.returncode == 0, result.stderr
    summary = json_of(result.stdout)
    assert (summary["status"], summary["dryRun"], summary["counts"]["created"]) == (
        "SUCCEEDED",
        True,
        1,
    )
    with sqlite3.connect(directory / "data" / "loyalty.sqlite3") as db:
        found = db.execute("SELECT count(*) FROM customer WHERE email = 'new@example.com'")
        assert found.fetchone() == (0,)


def test_a_file_that_cannot_be_imported_fails_with_its_reason(home: tuple[Path, str]) -> None:
    directory, org = home
    path = write(directory, "empty.csv", "")
    result = run_loyalty(directory, "import", "customers", str(path), "--org", org)
    assert result.returncode == 1
    summary = json_of(result.stdout)
    assert (summary["status"], summary["errorCode"]) == ("FAILED", "EMPTY_FILE")


def test_without_wait_the_job_stays_queued_for_a_worker(home: tuple[Path, str]) -> None:
    directory, org = home
    path = write(directory, "later.csv", "Email\nlater@example.com\n")
    result = run_loyalty(directory, "import", "customers", str(path), "--org", org)
    assert result.returncode == 0, result.stderr
    assert json_of(result.stdout)["status"] == "QUEUED"
    assert "worker will run the job" in result.stderr


def test_bad_arguments(home: tuple[Path, str]) -> None:
    directory, org = home
    path = write(directory, "x.csv", "Email\na@example.com\n")
    unknown = run_loyalty(directory, "import", "orders", str(path), "--org", org, "--map", "x")
    assert unknown.returncode == 1
    assert json_of(unknown.stderr)["error"] == "INVALID_ARGUMENT"
    missing = run_loyalty(directory, "import", "customers", "nope.csv", "--org", org)
    assert json_of(missing.stderr) == {"error": "NOT_FOUND", "message": "No such file."}


def import_orders_for_one_buyer(
    home: Path, org: str, name: str, redis_url: str | None = None
) -> str:
    """Customer `name` and two orders for it through `loyalty import ... --wait` (with the
    queue at `redis_url` when given); returns the second command's stderr."""

    def loyalty(*argv: str) -> subprocess.CompletedProcess[str]:
        if redis_url is None:
            return run_loyalty(home, *argv)
        return run_loyalty(home, *argv, LOYALTY_DATA_DIR=str(home / "data"), REDIS_URL=redis_url)

    people = write(home, f"{name}.csv", f"Customer ID,Email\n{name},{name}@example.com\n")
    first = loyalty("import", "customers", str(people), "--org", org, "--wait")
    assert first.returncode == 0, first.stderr
    orders = write(
        home,
        f"{name}-orders.csv",
        "Customer ID,Order Number,Order Date,Total\n"
        f"{name},{name}-R1,2026-01-15,42.50\n{name},{name}-R2,2026-02-15,10.00\n",
    )
    result = loyalty("import", "orders", str(orders), "--org", org, "--wait")
    assert result.returncode == 0, result.stderr
    assert json_of(result.stdout)["counts"]["created"] == 2
    return result.stderr


def segments_of(home: Path, name: str) -> tuple[object, ...]:
    with sqlite3.connect(home / "data" / "loyalty.sqlite3") as db:
        row = db.execute(
            "SELECT lifecycle_stage, rfm_recency, rfm_frequency, rfm_monetary, rfm_segment"
            " FROM customer WHERE external_reference = ?",
            (name,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_an_orders_import_without_a_queue_refreshes_segments_here(
    home: tuple[Path, str],
) -> None:
    directory, org = home
    import_orders_for_one_buyer(directory, org, "buyer-1")
    # Members without orders have no RFM: the refresh the worker would have run ran here.
    stage, *scores = segments_of(directory, "buyer-1")
    assert stage not in (None, "MEMBER")
    assert None not in scores


def test_with_a_queue_but_no_worker_the_steps_still_run_here(
    home: tuple[Path, str], redis_url: str
) -> None:
    directory, org = home
    # The queue is reachable, nobody takes the job: after the grace period it runs here, and
    # so does its segment refresh (it used to wait in the queue for a worker).
    stderr = import_orders_for_one_buyer(directory, org, "buyer-2", redis_url)
    assert "2/2 rows" in stderr
    stage, *scores = segments_of(directory, "buyer-2")
    assert stage not in (None, "MEMBER")
    assert None not in scores
