"""`loyalty privacy rekey`: carry the blocklist to the current key version.

Rotation: add a new version to LOYALTY_BLOCKLIST_KEY (`1:<old>,2:<new>`), restart the API
and workers (lookups now check both versions, new entries use version 2), run this command,
and only then configure the next rotation. Prints `{"keyVersion": N, "rekeyed": M}`; nothing
about any entry. Old keys stay configured: a digest is chained through every version.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("privacy", help="privacy operations (see `privacy --help`)")
    commands = parser.add_subparsers(dest="privacy_command", required=True)
    p = commands.add_parser("rekey", help="re-key the blocklist to the current key version")
    p.set_defaults(func=cmd_privacy_rekey)


def cmd_privacy_rekey(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.principal import Principal
    from app.cli_support import run_with_db
    from app.privacy import service

    async def body() -> Any:
        # The re-key spans organizations; each one's audit entry is written as its SYSTEM.
        return await service.rekey(Principal.system(uuid.UUID(int=0)))

    result = run_with_db(settings, body)
    print(json.dumps({"keyVersion": result.version, "rekeyed": result.rekeyed}))
    return 0
