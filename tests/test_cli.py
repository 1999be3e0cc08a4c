"""The `loyalty` command: schema and permission printouts, bootstrap and API keys."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import main
from app.core.secrets import secret_digest
from tests.processes import (
    clean_environment,
    free_port,
    living_processes,
    loyalty_command,
    loyalty_process,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent


def run_in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 0
    return capsys.readouterr().out


def run_loyalty(
    home: Path, *argv: str, cwd: Path | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """`loyalty ...` in a fresh process configured by nothing but `settings` (by default a
    data directory in `home`)."""
    env = clean_environment(**(settings or {"LOYALTY_DATA_DIR": str(home / "data")}))
    return subprocess.run(  # noqa: S603 - a fixed command of this project
        [*loyalty_command(), *argv],
        env=env,
        cwd=cwd or home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def json_of(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value


class TestExportSchema:
    def test_matches_the_checked_in_schema(self, capsys: pytest.CaptureFixture[str]) -> None:
        exported = run_in_process(capsys, "export-schema")
        checked_in = (ROOT / "schema.graphql").read_text(encoding="utf-8")
        assert exported == checked_in, (
            "schema.graphql is stale: run `loyalty export-schema > schema.graphql`"
        )


class TestPermissions:
    def test_the_readme_shows_the_current_matrix(self, capsys: pytest.CaptureFixture[str]) -> None:
        printed = run_in_process(capsys, "permissions").strip()
        assert printed.startswith("| operation |")
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert printed in readme, "README.md is stale: paste the output of `loyalty permissions`"


@dataclass(frozen=True)
class Booted:
    home: Path
    output: dict[str, Any]

    @property
    def database(self) -> Path:
        return self.home / "data" / "loyalty.sqlite3"


@pytest.fixture(scope="module")
def booted(tmp_path_factory: pytest.TempPathFactory) -> Booted:
    """One `loyalty bootstrap` on an empty data directory, shared by the tests below."""
    home = tmp_path_factory.mktemp("cli")
    result = run_loyalty(
        home, "bootstrap", "--org-name", "Corner Shop", "--owner-email", "Me@Shop.com"
    )
    assert result.returncode == 0, result.stderr
    return Booted(home, json_of(result.stdout))


class TestBootstrap:
    def test_prints_the_organization_and_a_token(self, booted: Booted) -> None:
        out = booted.output
        assert set(out) == {"organizationId", "ownerId", "token", "ownerPassword"}
        assert out["token"].startswith("lst_")
        assert len(out["ownerPassword"]) >= 10

    def test_creates_the_embedded_database_and_a_private_secret(self, booted: Booted) -> None:
        assert booted.database.exists()
        assert (booted.home / "data" / "secret_key").stat().st_mode & 0o077 == 0
        with sqlite3.connect(booted.database) as db:
            staff = db.execute(
                "SELECT email, role FROM staff WHERE organization_id = ?",
                (booted.output["organizationId"],),
            ).fetchall()
            sessions = db.execute(
                "SELECT count(*) FROM staff_session WHERE token_hash = ?",
                (secret_digest(booted.output["token"]),),
            ).fetchone()
        assert staff == [("me@shop.com", "OWNER")]
        # Only the digest of the token is stored.
        assert sessions == (1,)

    def test_an_invalid_email_fails_with_a_json_error(self, booted: Booted) -> None:
        result = run_loyalty(
            booted.home, "bootstrap", "--org-name", "Shop", "--owner-email", "not-an-email"
        )
        assert result.returncode != 0
        assert result.stdout == ""
        assert json_of(result.stderr) == {
            "error": "INVALID_EMAIL",
            "message": "Email address is not valid.",
        }


class TestConfiguration:
    def test_production_without_configuration_refuses_to_start(self, tmp_path: Path) -> None:
        env_result = subprocess.run(  # noqa: S603 - a fixed command of this project
            [*loyalty_command(), "migrate"],
            env={"PATH": os.environ.get("PATH", ""), "LOYALTY_ENV": "production"},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert env_result.returncode == 2
        assert env_result.stderr.startswith("configuration error:")


class TestDataDirectory:
    def test_a_command_from_another_folder_uses_the_same_data(self, tmp_path: Path) -> None:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        # No LOYALTY_DATA_DIR: the default is the user's data folder, not the current one.
        share = str(tmp_path / "share")
        results = [
            run_loyalty(tmp_path, "migrate", cwd=folder, XDG_DATA_HOME=share)
            for folder in (tmp_path, elsewhere)
        ]
        assert [r.returncode for r in results] == [0, 0], results[0].stderr
        data = tmp_path / "share" / "loyalty"
        # The first run says where it put the new database and key; the second creates nothing.
        assert f"data directory {data}" in results[0].stderr
        assert "created data directory, database, secret key, blocklist key" in results[0].stderr
        assert "created" not in results[1].stderr
        assert (data / "loyalty.sqlite3").exists()
        assert not (tmp_path / "data").exists()
        assert not (elsewhere / "data").exists()


class TestApiKeyCreate:
    def test_prints_a_key_stored_only_as_a_digest(self, booted: Booted) -> None:
        org = booted.output["organizationId"]
        result = run_loyalty(
            booted.home, "api-key", "create", "--org", org, "--scopes", "wallet:read"
        )
        assert result.returncode == 0, result.stderr
        key = json_of(result.stdout)
        assert key["key"].startswith("lk_")
        assert key["scopes"] == ["wallet:read"]
        with sqlite3.connect(booted.database) as db:
            rows = db.execute(
                "SELECT id, scopes FROM api_key WHERE key_hash = ? AND organization_id = ?",
                (secret_digest(key["key"]), org),
            ).fetchall()
        assert [(uuid.UUID(row[0]), json.loads(row[1])) for row in rows] == [
            (uuid.UUID(key["apiKeyId"]), ["wallet:read"])
        ]

    @pytest.mark.parametrize(
        ("org", "scopes", "error"),
        [
            (None, "bogus", "INVALID_SCOPE"),
            ("not-an-id", "wallet:read", "INVALID_ARGUMENT"),
            ("01a20408-0000-7000-8000-000000000000", "wallet:read", "NOT_FOUND"),
        ],
    )
    def test_refusals_are_json_errors(
        self, booted: Booted, org: str | None, scopes: str, error: str
    ) -> None:
        result = run_loyalty(
            booted.home,
            "api-key",
            "create",
            "--org",
            org or booted.output["organizationId"],
            "--scopes",
            scopes,
        )
        assert result.returncode == 1
        assert result.stdout == ""
        assert json_of(result.stderr)["error"] == error


def redis_servers_on(socket_path: Path) -> list[int]:
    """Pids of the redis-server processes listening on `socket_path`."""
    # Redis rewrites its title once running: "redis-server unixsocket:<path>".
    return [
        pid
        for pid, (_, command) in living_processes().items()
        if b"redis-server" in command and str(socket_path).encode() in command
    ]


def wait_for(check: Callable[[], bool], what: str) -> None:
    for _ in range(1200):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
class TestApiAndWorkerSideBySide:
    def test_they_share_one_embedded_redis(self, tmp_path: Path) -> None:
        env = {"LOYALTY_DATA_DIR": str(tmp_path / "data")}
        socket_path = tmp_path / "data" / "redis" / "redis.sock"
        port = free_port()
        worker = loyalty_process("worker", env=env, cwd=tmp_path, log=tmp_path / "worker.log")
        api = None
        try:
            wait_for(lambda: len(redis_servers_on(socket_path)) == 1, "the worker's Redis")
            api = loyalty_process(
                "api", "--port", str(port), env=env, cwd=tmp_path, log=tmp_path / "api.log"
            )
            wait_for(lambda: ready(port), "the API")
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert len(redis_servers_on(socket_path)) == 1
        finally:
            for process in (api, worker):
                if process is not None:
                    stop(process)
        # The last one out shut it down.
        wait_for(lambda: not redis_servers_on(socket_path), "the server to stop")
