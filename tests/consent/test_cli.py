"""`loyalty sms simulate-reply` in a fresh process: it posts the form Twilio would, signed so
that Twilio's check (done here by a real HTTP server with the project's verifier) accepts it,
against the public URL when one is configured; refusals are reported, not hidden."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.messaging.twilio.signature import SIGNATURE_HEADER, verify_signature
from tests.live_server import serve_in_thread
from tests.processes import clean_environment, loyalty_command

TOKEN = "dev-token"
PUBLIC = "https://loyalty.example.com"


@dataclass
class Webhook:
    """A stand-in for the service's inbound route: checks the signature as the service does."""

    url: str = ""
    signed_against: str | None = None
    received: list[dict[str, str]] = field(default_factory=list)

    async def inbound(self, request: Request) -> PlainTextResponse:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        url = (self.signed_against or str(request.url).split("?")[0].rstrip("/")).rstrip("/")
        if not verify_signature(url, form, request.headers.get(SIGNATURE_HEADER), TOKEN):
            return PlainTextResponse("", status_code=403)
        self.received.append(form)
        return PlainTextResponse("<Response></Response>")


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    found = Webhook()
    app = Starlette(routes=[Route("/webhooks/sms/twilio", found.inbound, methods=["POST"])])
    with serve_in_thread(app) as base_url:
        found.url = base_url
        yield found


def simulate(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this project's own command
        [*loyalty_command(), "sms", "simulate-reply", *argv],
        env=clean_environment(LOYALTY_DATA_DIR=str(tmp_path), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_reply_is_posted_signed_as_twilio_would(webhook: Webhook, tmp_path: Path) -> None:
    webhook.received.clear()
    webhook.signed_against = f"{webhook.url}/webhooks/sms/twilio"
    done = simulate(
        tmp_path,
        *("--api", webhook.url, "--from", "+12125550188", "--body", " Yes! "),
        LOYALTY_TWILIO_AUTH_TOKEN=TOKEN,
        LOYALTY_SMS_FROM="+15005550006",
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["status"] == 200
    assert printed["messageSid"].startswith("SM")
    assert webhook.received == [
        {
            "MessageSid": printed["messageSid"],
            "From": "+12125550188",
            "To": "+15005550006",
            "Body": " Yes! ",
            "NumMedia": "0",
        }
    ]


def test_behind_a_public_url_it_signs_that_url(webhook: Webhook, tmp_path: Path) -> None:
    webhook.received.clear()
    webhook.signed_against = f"{PUBLIC}/webhooks/sms/twilio"
    argv = ("--api", webhook.url, "--from", "+12125550188", "--body", "STOP", "--sid", "SM1")
    done = simulate(
        tmp_path,
        *argv,
        "--to",
        "+15005550007",
        LOYALTY_TWILIO_AUTH_TOKEN=TOKEN,
        LOYALTY_PUBLIC_URL=PUBLIC,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": 200, "messageSid": "SM1"}
    assert [(r["MessageSid"], r["To"]) for r in webhook.received] == [("SM1", "+15005550007")]


def test_a_refused_signature_is_reported(webhook: Webhook, tmp_path: Path) -> None:
    webhook.signed_against = f"{webhook.url}/webhooks/sms/twilio"
    argv = ("--api", webhook.url, "--from", "+12125550188", "--body", "YES")
    done = simulate(
        tmp_path, *argv, LOYALTY_TWILIO_AUTH_TOKEN="another-token", LOYALTY_SMS_FROM="+15005550006"
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"] == 403
    assert "signature was refused" in done.stderr


def test_without_a_token_it_says_what_to_set(webhook: Webhook, tmp_path: Path) -> None:
    done = simulate(tmp_path, "--api", webhook.url, "--from", "+12125550188", "--body", "YES")
    assert done.returncode == 2
    assert "LOYALTY_TWILIO_AUTH_TOKEN" in done.stderr
