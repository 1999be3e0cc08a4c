"""Tortoise configuration shared by the API, the workers, the CLI and the tests."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, connections
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as migrate_api

from app.models import MODEL_MODULES

APP_LABEL = "models"
MIGRATIONS_MODULE = "app.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
        "apps": {
            APP_LABEL: {
                "models": list(MODEL_MODULES),
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For `tortoise makemigrations`: the autodetector compares models with migration files,
# so it needs no real database.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")


async def init_db(database_url: str) -> TortoiseContext:
    """Open connections for a long-running process.

    The global fallback lets requests (which Starlette runs in tasks other than the lifespan's)
    and arq jobs see the context created here.
    """
    return await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await connections.close_all()
    # Forget the global context so a later init in the same process (tests) starts clean.
    import tortoise.context as tortoise_context

    tortoise_context._global_context = None


async def migrate(database_url: str) -> None:
    """Apply every pending migration; safe to run on every start."""
    try:
        await migrate_api(config=tortoise_config(database_url))
    finally:
        # An open aiosqlite connection keeps its thread, and so the process, alive.
        await connections.close_all()
