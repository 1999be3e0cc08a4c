"""`loyalty audit verify --org ID`: check an organization's tamper-evident audit chain.

Prints one JSON object on stdout: the entries checked, those written before the chain existed
(which it cannot vouch for) and, when the chain is broken, the first broken entry (its id and
sequence number) and why. Exit code 0 when the chain holds, 3 when it is broken.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings

BROKEN_EXIT_CODE = 3


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("audit", help="the audit log (see `audit --help`)")
    commands = parser.add_subparsers(dest="audit_command", required=True)
    p = commands.add_parser("verify", help="check an organization's audit hash chain")
    p.add_argument("--org", required=True, help="organization id")
    p.set_defaults(func=cmd_audit_verify)


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from app.audit import repository, service
    from app.auth.principal import Principal
    from app.cli_support import Refused, print_error, run_with_db

    try:
        org = uuid.UUID(args.org)
    except ValueError:
        print_error("INVALID_ARGUMENT", "--org is not an organization id.")
        raise Refused from None

    async def body() -> Any:
        if not await repository.organization_exists(org):
            return None
        return await service.verify_chain(Principal.system(org))

    verdict = run_with_db(settings, body)
    if verdict is None:
        print_error("NOT_FOUND", "No such organization.")
        raise Refused
    report: dict[str, Any] = {
        "organization": str(org),
        "ok": verdict.ok,
        "checked": verdict.checked,
        "unchained": verdict.unchained,
    }
    if not verdict.ok:
        report["firstBrokenEntry"] = (
            str(verdict.broken_entry) if verdict.broken_entry is not None else None
        )
        report["firstBrokenSequence"] = verdict.broken_sequence
        report["reason"] = verdict.reason
    print(json.dumps(report))
    return 0 if verdict.ok else BROKEN_EXIT_CODE
