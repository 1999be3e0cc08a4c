"""`loyalty segments recompute [--org ID] [--as-of MOMENT]`: lifecycle stages and RFM now.

Runs the recompute in this process (the same service function the worker's job calls), for
one organization or, without `--org`, for every one; prints one JSON line of counts per
organization. `--as-of` measures to a past moment (ISO 8601; a date is its 00:00 UTC, a time
without an offset is UTC): orders placed after it are ignored until the next recompute.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("segments", help="lifecycle stages and RFM segments")
    commands = parser.add_subparsers(dest="segments_command", required=True)
    p = commands.add_parser(
        "recompute", help="recompute lifecycle stages and RFM scores (one or every organization)"
    )
    p.add_argument("--org", help="organization id (default: every organization)")
    p.add_argument(
        "--as-of",
        help="measure to this moment (ISO 8601, e.g. 2025-12-31T23:59:59Z); default: now",
    )
    p.set_defaults(func=cmd_segments_recompute)


def cmd_segments_recompute(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import run_with_db
    from app.core.errors import DomainError, InvalidArgument
    from app.core.ids import parse_id
    from app.lifecycle.as_of import parse_as_of
    from app.lifecycle.errors import SegmentErrorCode
    from app.lifecycle.service import recompute_segments
    from app.organizations.service import organization_exists, system_principals

    async def body() -> list[dict[str, Any]]:
        try:
            as_of = parse_as_of(args.as_of)
        except ValueError:
            raise InvalidArgument("--as-of takes an ISO 8601 date or time") from None
        if args.org is None:
            principals = await system_principals()
        else:
            principal = Principal.system(parse_id(args.org, "--org"))
            if not await organization_exists(principal):
                raise DomainError(
                    SegmentErrorCode.NOT_FOUND, "No organization with this id.", "org"
                )
            principals = [principal]
        results = []
        for principal in principals:
            counts = await recompute_segments(principal, as_of=as_of)
            results.append(
                {
                    "organizationId": str(principal.organization_id),
                    "asOf": as_of.isoformat() if as_of is not None else None,
                    **counts.as_dict(),
                }
            )
        return results

    for line in run_with_db(settings, body):
        print(json.dumps(line))
    return 0
