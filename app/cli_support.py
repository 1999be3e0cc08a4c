"""What every `loyalty` command shares: running a body with the database open, and printing
a refusal. A module of its own so the domains' command modules (e.g. `app.imports.cli`) and
`app.cli`, which registers them, do not import each other."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.config import Settings

T = TypeVar("T")


async def _with_db(settings: Settings, body: Callable[[], Awaitable[Any]]) -> Any:
    from app.core import blocklist
    from app.db import close_db, init_db, migrate

    blocklist.install_keys(settings.blocklist_keys)
    await migrate(settings.database_url)
    await init_db(settings.database_url)
    try:
        return await body()
    finally:
        await close_db()


class Refused(Exception):
    """A command's input was refused; the reason was printed on stderr (exit code 1)."""


def print_error(code: str, message: str) -> None:
    print(json.dumps({"error": code, "message": message}), file=sys.stderr)


def run_with_db(settings: Settings, body: Callable[[], Awaitable[T]]) -> T:
    """Run `body` with the database open. A refusal of the domain or of the API's rules is
    printed on stderr as `{"error": CODE, "message": ...}` and raised as `Refused`."""
    from app.core.errors import DomainError, PublicError

    try:
        result: T = asyncio.run(_with_db(settings, body))
    except DomainError as exc:
        print_error(exc.code.value, exc.message)
        raise Refused from None
    except PublicError as exc:
        print_error(exc.code.value, str(exc))
        raise Refused from None
    return result
