"""`loyalty privacy erase|export|opt-out --org ID (--customer ID | --email E | --phone P)` and
`loyalty privacy status --org ID [--request ID] [--overdue]`.

An operator's request is filed like staff's (source OPERATOR) and carried out at once in this
process, so the command works with nothing running; a worker that also receives the job finds
it DONE and leaves it. `export` writes the document to `--out` (owner-only) or stdout. Output is
JSON; a refusal is `{"error": CODE, "message": ...}` on stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli_support import run_with_db

if TYPE_CHECKING:
    from app.config import Settings
    from app.models.privacy_request import PrivacyRequest

_KINDS = {"erase": "ERASE", "export": "EXPORT", "opt-out": "OPT_OUT"}


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("privacy", help="privacy requests: erase, export, opt-out, status")
    commands = parser.add_subparsers(dest="privacy_command", required=True)
    for name in _KINDS:
        p = commands.add_parser(name, help=f"file and carry out a {name} request")
        p.add_argument("--org", required=True, help="organization id")
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", help="customer id")
        who.add_argument("--email")
        who.add_argument("--phone")
        p.add_argument("--reason", default="", help="why (keep personal data out of it)")
        if name == "export":
            p.add_argument("--out", type=Path, help="write the export here (default: stdout)")
        p.set_defaults(func=cmd_file)
    p = commands.add_parser("status", help="one request, or the organization's requests")
    p.add_argument("--org", required=True, help="organization id")
    p.add_argument("--request", help="request id")
    p.add_argument("--overdue", action="store_true", help="only open requests past deadline")
    p.set_defaults(func=cmd_status)


def describe(request: PrivacyRequest) -> dict[str, Any]:
    return {
        "id": str(request.id),
        "kind": request.kind.value,
        "status": request.status.value,
        "source": request.source.value,
        "customerId": str(request.customer_id) if request.customer_id else None,
        "receivedAt": request.received_at.isoformat(),
        "dueAt": request.due_at.isoformat(),
        "completedAt": request.completed_at.isoformat() if request.completed_at else None,
        "steps": list(request.steps),
        "errorCode": request.error_code,
    }


def cmd_file(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.core.ids import parse_id
    from app.models.privacy_request import PrivacyRequestKind, PrivacyRequestSource
    from app.privacy_requests import service

    kind = PrivacyRequestKind(_KINDS[args.privacy_command])

    async def body() -> tuple[dict[str, Any], bytes | None]:
        principal = Principal.system(parse_id(args.org, "--org"))
        target = service.Target(
            customer_id=parse_id(args.customer, "--customer") if args.customer else None,
            email=args.email,
            phone=args.phone,
        )
        filed = await service.file_request(
            principal, settings, kind, target, args.reason, source=PrivacyRequestSource.OPERATOR
        )
        await service.run_request(principal, settings, filed.id)
        document = None
        if kind is PrivacyRequestKind.EXPORT:
            document = await service.take_operator_export(principal, settings, filed.id)
        done = await service.get_request(principal, filed.id)
        return describe(done if done is not None else filed), document

    summary, document = run_with_db(settings, body)
    if document is not None:
        out: Path | None = getattr(args, "out", None)
        if out is None:
            sys.stdout.buffer.write(document)
            sys.stdout.flush()
            print(json.dumps(summary), file=sys.stderr)
            return 0
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(document)
    print(json.dumps(summary, indent=2))
    return 0 if summary["status"] == "DONE" else 1


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.core.ids import parse_id
    from app.core.pagination import MAX_PAGE_SIZE
    from app.core.sorting import SortedPageRequest
    from app.privacy_requests import service
    from app.privacy_requests.sorting import PRIVACY_REQUEST_SORTS

    async def body() -> Any:
        principal = Principal.system(parse_id(args.org, "--org"))
        if args.request:
            found = await service.get_request(principal, parse_id(args.request, "--request"))
            return describe(found) if found is not None else None
        page = await service.list_requests(
            principal,
            SortedPageRequest.of(PRIVACY_REQUEST_SORTS.default, first=MAX_PAGE_SIZE),
            overdue=args.overdue,
        )
        return [describe(r) for r in page.items]

    result = run_with_db(settings, body)
    if result is None:
        print(json.dumps({"error": "NOT_FOUND", "message": "No such request."}), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0
