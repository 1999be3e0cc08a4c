"""`loyalty sms simulate-reply --from PHONE --body TEXT [--api URL] [--to NUMBER]`.

For development and for trying the double opt-in loop: posts a text "from" a shopper to the
service's inbound webhook (`POST /webhooks/sms/twilio`) exactly as Twilio would, form fields
and `X-Twilio-Signature` included, signed with `LOYALTY_TWILIO_AUTH_TOKEN` against
`LOYALTY_PUBLIC_URL` (when set, as the service checks it) or the `--api` URL. The reply goes
through the same signature check, keywords and evidence as a real one. It prints the answer's
status and the message id it made up; nothing of the text is logged.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import TYPE_CHECKING, Any

from app.messaging.cli import add_sms_commands

if TYPE_CHECKING:
    from app.config import Settings

INBOUND_PATH = "/webhooks/sms/twilio"
_DEFAULT_API = "http://127.0.0.1:8000"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "sms", help="texts: the SMS outbox and simulated replies (see `sms --help`)"
    )
    commands = parser.add_subparsers(dest="sms_command", required=True)
    p = commands.add_parser(
        "simulate-reply", help="post a signed inbound text to the service, as Twilio would"
    )
    p.add_argument("--from", dest="sender", required=True, help="the shopper's number (E.164)")
    p.add_argument("--body", required=True, help="the text, e.g. YES, STOP or HELP")
    p.add_argument("--api", default=_DEFAULT_API, help=f"the service (default {_DEFAULT_API})")
    p.add_argument("--to", help="the number texted (default: LOYALTY_SMS_FROM)")
    p.add_argument("--sid", help="the provider's message id (default: a new one)")
    p.set_defaults(func=cmd_simulate_reply)
    add_sms_commands(commands)


def signed_reply(settings: Settings, api: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """(the URL to post to, the headers Twilio would send with `form`)."""
    from app.messaging.twilio.signature import SIGNATURE_HEADER, compute_signature

    token = settings.messaging.twilio_auth_token or ""
    url = api.rstrip("/") + INBOUND_PATH
    public = settings.messaging.public_url
    signed_url = public.rstrip("/") + INBOUND_PATH if public else url
    return url, {SIGNATURE_HEADER: compute_signature(signed_url, form, token)}


def cmd_simulate_reply(settings: Settings, args: argparse.Namespace) -> int:
    import httpx

    if not settings.messaging.twilio_auth_token:
        print(
            "LOYALTY_TWILIO_AUTH_TOKEN is not set: the webhook exists only with a token;"
            " give this command and the service the same one.",
            file=sys.stderr,
        )
        return 2
    to = args.to or settings.messaging.sms_from or settings.messaging.sms_messaging_service
    if not to:
        print("Give --to, or set LOYALTY_SMS_FROM as the service has it.", file=sys.stderr)
        return 2
    sid = args.sid or "SM" + secrets.token_hex(16)
    form = {"MessageSid": sid, "From": args.sender, "To": to, "Body": args.body, "NumMedia": "0"}
    url, headers = signed_reply(settings, args.api, form)
    try:
        response = httpx.post(url, data=form, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        print(f"The service did not answer at {args.api}: {type(exc).__name__}.", file=sys.stderr)
        return 1
    print(json.dumps({"status": response.status_code, "messageSid": sid}))
    if response.status_code != 200:
        hint = {
            403: "the signature was refused: is the service's token (and public URL) the same?",
            404: "no webhook: the service runs without LOYALTY_TWILIO_AUTH_TOKEN",
        }.get(response.status_code, response.text[:200])
        print(hint, file=sys.stderr)
        return 1
    return 0
