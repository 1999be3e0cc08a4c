"""`loyalty personas regenerate --org ID [--as-of MOMENT] [--force]`: personas now, here.

Asks for a regeneration as the organization (SYSTEM, so the refresh interval can be forced)
and runs it in this process with the service function the worker's job calls, then prints one
JSON summary.
`--as-of` measures recency and ages to a past moment and leaves later orders out (ISO 8601; a
date is its 00:00 UTC, a time without an offset is UTC). Refusals (not eligible, rate limited,
a moment in the future) are printed on stderr as `{"error": CODE, "message": ...}`.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("personas", help="personas of an organization")
    commands = parser.add_subparsers(dest="personas_command", required=True)
    p = commands.add_parser("regenerate", help="regenerate the personas in this process")
    p.add_argument("--org", required=True, help="organization id")
    p.add_argument("--as-of", help="measure to this moment (ISO 8601); default: now")
    p.add_argument("--force", action="store_true", help="even within the refresh interval")
    p.set_defaults(func=cmd_personas_regenerate)


def cmd_personas_regenerate(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import run_with_db
    from app.core.errors import DomainError, InvalidArgument
    from app.core.ids import parse_id
    from app.lifecycle.as_of import parse_as_of
    from app.organizations.service import organization_exists
    from app.personas import service
    from app.personas.errors import PersonaErrorCode

    async def body() -> dict[str, Any]:
        try:
            as_of = parse_as_of(args.as_of)
        except ValueError:
            raise InvalidArgument("--as-of takes an ISO 8601 date or time") from None
        principal = Principal.system(parse_id(args.org, "--org"))
        if not await organization_exists(principal):
            raise DomainError(PersonaErrorCode.NOT_FOUND, "No organization with this id.", "org")
        requested = await service.request_regeneration(principal, force=args.force, as_of=as_of)
        done = await service.run_generation(principal, requested.id) or requested
        return {
            "personaSetId": str(done.id),
            "status": done.status.value,
            "asOf": as_of.isoformat() if as_of is not None else None,
            "customerCount": done.customer_count,
            "errorCode": done.error_code,
        }

    print(json.dumps(run_with_db(settings, body)))
    return 0
