"""`loyalty messages outbox` and `loyalty sms outbox`: reading the embedded outbox from a
shell, in fresh processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import clean_environment
from tests.test_cli import json_of, run_loyalty

# Asks for two messages the way a service does (no worker runs: they stay QUEUED).
ENQUEUE = """
import asyncio, sys, uuid
from app.auth.principal import Principal
from app.config import load_settings
from app.db import close_db, init_db
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.models.message import MessageChannel, MessagePurpose

async def main() -> None:
    await init_db(load_settings().database_url)
    principal = Principal.system(uuid.UUID(sys.argv[1]))
    await enqueue_message(principal, NewMessage(
        MessageChannel.EMAIL, MessagePurpose.VERIFICATION_CODE, "chloe@example.com",
        "Your code is 482913.", "code-1", subject="Your Corner Shop code"))
    await enqueue_message(principal, NewMessage(
        MessageChannel.SMS, MessagePurpose.HELP, "+14155550132", "Corner Shop: help",
        "help-1"))
    await close_db()

asyncio.run(main())
"""


def test_the_outbox_lists_recent_messages_by_organization_and_channel(tmp_path: Path) -> None:
    # run_loyalty's default configuration: this data directory and nothing else.
    data = {"LOYALTY_DATA_DIR": str(tmp_path / "data")}
    booted = run_loyalty(
        tmp_path, "bootstrap", "--org-name", "Corner Shop", "--owner-email", "me@shop.com"
    )
    assert booted.returncode == 0, booted.stderr
    org = json_of(booted.stdout)["organizationId"]
    assert "the outbox is empty" in run_loyalty(tmp_path, "messages", "outbox").stdout

    enqueued = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", ENQUEUE, org],
        env=clean_environment(**data),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert enqueued.returncode == 0, enqueued.stderr

    listed = run_loyalty(tmp_path, "messages", "outbox", "--org", org)
    assert listed.returncode == 0, listed.stderr
    assert "EMAIL VERIFICATION_CODE QUEUED to chloe@example.com" in listed.stdout
    assert "Subject: Your Corner Shop code" in listed.stdout
    assert "Your code is 482913." in listed.stdout
    assert "SMS   HELP QUEUED to +14155550132" in listed.stdout

    as_json = run_loyalty(
        tmp_path, "messages", "outbox", "--channel", "sms", "--json"
    ).stdout.splitlines()
    assert [json.loads(line)["purpose"] for line in as_json] == ["HELP"]

    # `sms outbox` is the texts-only view: the email is not in it.
    texts = run_loyalty(tmp_path, "sms", "outbox", "--org", org)
    assert texts.returncode == 0, texts.stderr
    assert "SMS   HELP QUEUED to +14155550132" in texts.stdout
    assert "chloe@example.com" not in texts.stdout
    texts_json = run_loyalty(tmp_path, "sms", "outbox", "--json").stdout.splitlines()
    assert [json.loads(line)["channel"] for line in texts_json] == ["SMS"]

    refused = run_loyalty(tmp_path, "messages", "outbox", "--org", "not-an-id")
    assert refused.returncode == 1
    assert "not-an-id" not in refused.stderr
