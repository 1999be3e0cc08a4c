"""`loyalty personas regenerate`: from a shell, on the embedded defaults (SQLite, no worker)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import json_of, run_loyalty


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("personas-cli")
    result = run_loyalty(
        home, "bootstrap", "--org-name", "Corner Shop", "--owner-email", "me@corner-shop.com"
    )
    assert result.returncode == 0, result.stderr
    org: str = json_of(result.stdout)["organizationId"]
    seeded = run_loyalty(home, "seed", "--org", org, "--customers", "300")
    assert seeded.returncode == 0, seeded.stderr
    return home, org


def enable_birthday_reward(home: Path, org: str) -> None:
    with sqlite3.connect(home / "data" / "loyalty.sqlite3") as db:
        (settings,) = db.execute(
            "SELECT settings FROM organization WHERE id = ?", (org,)
        ).fetchone()
        value = json.loads(settings or "{}")
        value.setdefault("program", {})["birthday_reward_enabled"] = True
        db.execute("UPDATE organization SET settings = ? WHERE id = ?", (json.dumps(value), org))


def test_regenerate_now_and_as_of_a_past_moment(home: tuple[Path, str]) -> None:
    directory, org = home
    refused = run_loyalty(directory, "personas", "regenerate", "--org", org)
    assert refused.returncode == 1
    assert json_of(refused.stderr)["error"] == "NOT_ELIGIBLE"
    enable_birthday_reward(directory, org)

    now = run_loyalty(directory, "personas", "regenerate", "--org", org)
    assert now.returncode == 0, now.stderr
    today = json_of(now.stdout)
    assert (today["status"], today["asOf"]) == ("READY", None)

    moment = (dt.datetime.now(dt.UTC) - dt.timedelta(days=180)).date().isoformat()
    earlier = run_loyalty(
        directory, "personas", "regenerate", "--org", org, "--as-of", moment, "--force"
    )
    assert earlier.returncode == 0, earlier.stderr
    then = json_of(earlier.stdout)
    assert then["status"] == "READY"
    assert then["asOf"] == f"{moment}T00:00:00+00:00"
    # Half a year ago fewer of the seeded customers had bought.
    assert 0 < then["customerCount"] < today["customerCount"]


def test_refusals(home: tuple[Path, str]) -> None:
    directory, org = home
    future = run_loyalty(
        directory, "personas", "regenerate", "--org", org, "--as-of", "2999-01-01", "--force"
    )
    assert (future.returncode, json_of(future.stderr)["error"]) == (1, "AS_OF_IN_FUTURE")
    garbled = run_loyalty(directory, "personas", "regenerate", "--org", org, "--as-of", "soon")
    assert (garbled.returncode, json_of(garbled.stderr)["error"]) == (1, "INVALID_ARGUMENT")
    unknown = run_loyalty(
        directory, "personas", "regenerate", "--org", "01900000-0000-7000-8000-000000000000"
    )
    assert (unknown.returncode, json_of(unknown.stderr)["error"]) == (1, "NOT_FOUND")
