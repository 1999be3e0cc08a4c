"""`loyalty seed` from a shell: a JSON summary on stdout, progress on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def loyalty(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("loyalty")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import app.cli as c; c.main()"]
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOYALTY_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["LOYALTY_DATA_DIR"] = str(home / "data")
    return subprocess.run(  # noqa: S603 - a fixed command of this project
        [*command, *argv],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_seed_command(tmp_path: Path) -> None:
    boot = loyalty(
        tmp_path, "bootstrap", "--org-name", "Shop", "--owner-email", "owner@example.com"
    )
    assert boot.returncode == 0, boot.stderr
    org = json.loads(boot.stdout)["organizationId"]

    done = loyalty(
        tmp_path, "seed", "--org", org, "--customers", "60", "--orders-per-customer", "3"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["customers"] == 60
    assert summary["orders"] > 100
    assert summary["ledgerEntries"] > summary["orders"]
    assert summary["startIndex"] == 0
    assert "seed: 60/60 customers" in done.stderr

    again = loyalty(tmp_path, "seed", "--org", org, "--customers", "10", "--no-segments")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["startIndex"] == 60


def test_unknown_organization(tmp_path: Path) -> None:
    result = loyalty(
        tmp_path, "seed", "--org", "00000000-0000-7000-8000-000000000000", "--customers", "5"
    )
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr
