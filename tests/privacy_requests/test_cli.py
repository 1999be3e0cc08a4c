"""`loyalty privacy ...`: an operator files and carries out requests from the command line,
against the same database as the service, with nothing else running."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

from app.config import Settings
from app.models.customer import Customer, CustomerStatus
from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer
from tests.processes import clean_environment, loyalty_command


async def loyalty(settings: Settings, *argv: str) -> subprocess.CompletedProcess[str]:
    env = clean_environment(
        DATABASE_URL=settings.database_url,
        LOYALTY_DATA_DIR=str(settings.data_dir),
        LOYALTY_SECRET_KEY=settings.secret_key,
        LOYALTY_LOG_LEVEL="WARNING",
    )
    return await asyncio.to_thread(
        subprocess.run,
        [*loyalty_command(), *argv],
        env=env,
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def json_of(text: str) -> Any:
    return json.loads(text)


async def test_export_erase_and_status_from_the_command_line(
    gql: GraphQLClient, tenant: Tenant, settings: Settings, tmp_path: Path
) -> None:
    org = str(tenant.organization_id)
    customer = await create_customer(
        gql, tenant.token, email="cli.person@example.org", firstName="Clio", phone="2025550123"
    )
    out = tmp_path / "export.json"
    exported = await loyalty(
        settings, "privacy", "export", "--org", org, "--phone", "(202) 555-0123", "--out", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    summary = json_of(exported.stdout)
    assert (summary["kind"], summary["status"], summary["source"]) == ("EXPORT", "DONE", "OPERATOR")
    assert out.stat().st_mode & 0o077 == 0
    document = json_of(out.read_text())
    assert document["customer"]["email"] == "cli.person@example.org"
    # Handed over once: nothing is left in the data directory.
    assert not list(settings.exports_root.glob("*.json"))

    erased = await loyalty(settings, "privacy", "erase", "--org", org, "--customer", customer["id"])
    assert erased.returncode == 0, erased.stderr
    assert json_of(erased.stdout)["status"] == "DONE"
    row = await Customer.get(id=customer["id"])
    assert (row.status, row.email, row.first_name) == (CustomerStatus.ERASED, None, "")

    status = await loyalty(settings, "privacy", "status", "--org", org)
    assert status.returncode == 0, status.stderr
    assert [r["kind"] for r in json_of(status.stdout)] == ["ERASE", "EXPORT"]
    one = await loyalty(settings, "privacy", "status", "--org", org, "--request", summary["id"])
    assert json_of(one.stdout)["id"] == summary["id"]

    refused = await loyalty(
        settings, "privacy", "opt-out", "--org", org, "--email", "nobody.else@example.org"
    )
    assert refused.returncode == 1
    assert json_of(refused.stderr.strip().splitlines()[-1])["error"] == "NOT_FOUND"
    assert "nobody.else" not in refused.stderr
