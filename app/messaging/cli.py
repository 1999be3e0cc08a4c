"""`loyalty messages outbox [--org ID] [--channel EMAIL|SMS] [--limit N] [--json]`, and
`loyalty sms outbox [--org ID] [--limit N] [--json]`: the same listing, texts only.

For development: the embedded outbox provider sends nothing anywhere, so this is where a
developer reads the texts and emails the service "sent" (verification codes included). It
prints recipients and bodies to the terminal that asked, never to a log. Without `--org`
every organization's messages are listed, newest first.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings
    from app.models.message import OutboxMessage


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("messages", help="read outgoing messages (see `messages --help`)")
    commands = parser.add_subparsers(dest="messages_command", required=True)
    p = commands.add_parser("outbox", help="print recent outgoing emails and texts")
    p.add_argument("--org", help="organization id (default: every organization)")
    p.add_argument("--channel", choices=("EMAIL", "SMS"), type=str.upper)
    p.add_argument("--limit", type=int, default=20, help="how many, newest first (max 500)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_outbox)


def add_sms_commands(sms_commands: Any) -> None:
    """`loyalty sms outbox`: added to the `sms` group that `app.consent.cli` creates."""
    p = sms_commands.add_parser("outbox", help="print recent outgoing texts (the SMS outbox)")
    p.add_argument("--org", help="organization id (default: every organization)")
    p.add_argument("--limit", type=int, default=20, help="how many, newest first (max 500)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_outbox, channel="SMS")


def _as_json(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "organizationId": str(message.organization_id),
        "createdAt": message.created_at.isoformat(),
        "channel": message.channel.value,
        "purpose": message.purpose.value,
        "status": message.status.value,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "provider": message.provider,
        "errorCode": message.error_code,
        "attempts": message.attempts,
    }


def _as_text(message: OutboxMessage) -> str:
    head = (
        f"{message.created_at:%Y-%m-%d %H:%M:%S} {message.channel.value:<5} "
        f"{message.purpose.value} {message.status.value} to {message.recipient}"
    )
    if message.error_code:
        head += f" (error {message.error_code})"
    subject = f"\n  Subject: {message.subject}" if message.subject else ""
    body = "\n".join("  " + line for line in message.body.splitlines())
    return f"{head}{subject}\n{body}\n"


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import run_with_db
    from app.core.ids import parse_id
    from app.messaging import repository, service
    from app.models.message import MessageChannel

    channel = MessageChannel(args.channel) if args.channel else None

    async def body() -> list[OutboxMessage]:
        if args.org:
            principal = Principal.system(parse_id(args.org, "--org"))
            return await service.recent_messages(principal, channel, args.limit)
        return await repository.recent(None, channel, max(1, min(args.limit, service.MAX_LISTED)))

    messages = run_with_db(settings, body)
    for message in messages:
        print(json.dumps(_as_json(message)) if args.json else _as_text(message))
    if not messages and not args.json:
        print("the outbox is empty")
    return 0
