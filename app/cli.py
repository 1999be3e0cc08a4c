"""`loyalty`: run, migrate and administer the service from a shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.cli_support import Refused, run_with_db
from app.config import ConfigurationError, Settings, describe_new_state, load_settings
from app.seed.catalog import DEFAULT_PROFILE, PROFILES


def _configure_logging(settings: Settings) -> None:
    from app.logs import configure_logging

    configure_logging(settings)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from app.db import migrate

    asyncio.run(migrate(settings.database_url))
    print("migrations applied")
    return 0


def _serve(settings: Settings, args: argparse.Namespace, run_worker: bool) -> int:
    import uvicorn

    from app.db import migrate
    from app.main import create_app

    if run_worker or args.migrate:
        asyncio.run(migrate(settings.database_url))
    app = create_app(settings, run_worker=run_worker)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        # Uvicorn's loggers propagate to ours (app.logs): JSON lines in production.
        log_config=None,
        # Uvicorn's access log prints full URLs; ours carry no personal data, but keep it
        # off by default so a future query-string mistake cannot leak.
        access_log=args.access_log,
        proxy_headers=True,
        # Live progress subscriptions: WebSocket frames are held to the HTTP body limit too
        # (the app checks it again for servers that do not).
        ws="websockets-sansio",
        ws_max_size=settings.max_body_bytes,
    )
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Development: migrate, then API and worker in one process (embedded Redis by default)."""
    return _serve(settings, args, run_worker=True)


def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    return _serve(settings, args, run_worker=False)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from app.embedded_redis import EmbeddedRedis
    from workers.settings import build_worker

    embedded = None
    redis_url = settings.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        redis_url = embedded.start()
    try:
        # A fresh loop for arq: Worker binds the running loop when it is constructed.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        worker = build_worker(settings, redis_url, manage_db=True, burst=args.burst)
        worker.run()
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def cmd_bootstrap(settings: Settings, args: argparse.Namespace) -> int:
    from app.organizations.service import bootstrap

    async def body() -> Any:
        return await bootstrap(
            args.org_name,
            args.owner_email,
            args.owner_password,
            default_region=args.region,
            timezone=args.timezone,
            token_ttl_seconds=settings.token_ttl_seconds,
        )

    result = run_with_db(settings, body)
    out: dict[str, Any] = {
        "organizationId": str(result.organization.id),
        "ownerId": str(result.owner.id),
        "token": result.token,
    }
    if result.generated_password:
        out["ownerPassword"] = result.generated_password
    print(json.dumps(out, indent=2))
    return 0


def cmd_api_key_create(settings: Settings, args: argparse.Namespace) -> int:
    from app.auth.errors import AccountErrorCode
    from app.auth.principal import Principal
    from app.auth.service import create_api_key, parse_scopes
    from app.core.errors import DomainError
    from app.core.ids import parse_id
    from app.models.organization import Organization

    async def body() -> Any:
        org_id = parse_id(args.org, "--org")
        if not await Organization.exists(id=org_id):
            raise DomainError(AccountErrorCode.NOT_FOUND, "No organization with this id.", "org")
        scopes = parse_scopes(args.scopes.split(","))
        return await create_api_key(Principal.system(org_id), args.name, scopes)

    issued = run_with_db(settings, body)
    print(
        json.dumps(
            {
                "apiKeyId": str(issued.api_key.id),
                "key": issued.key,
                "scopes": issued.api_key.scopes,
            },
            indent=2,
        )
    )
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    """Synthetic customers, orders and wallets for an organization; JSON summary on stdout."""
    from app.auth.errors import AccountErrorCode
    from app.core.errors import DomainError
    from app.core.ids import parse_id
    from app.models.organization import Organization
    from app.seed.writer import seed_organization

    async def body() -> Any:
        org_id = parse_id(args.org, "--org")
        if not await Organization.exists(id=org_id):
            raise DomainError(AccountErrorCode.NOT_FOUND, "No organization with this id.", "org")
        return await seed_organization(
            org_id,
            args.customers,
            args.orders_per_customer,
            args.seed,
            start_index=args.start_index,
            workers=args.workers,
            writers=args.connections,
            check_foreign_keys=args.check_foreign_keys,
            segments=args.segments,
            profile=args.profile,
        )

    summary = run_with_db(settings, body)
    print(json.dumps(summary.as_json(), indent=2))
    return 0


def cmd_export_schema(settings: Settings | None, args: argparse.Namespace) -> int:
    from app.graphql.schema import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


def cmd_permissions(settings: Settings | None, args: argparse.Namespace) -> int:
    from app.auth.permissions import matrix_markdown

    print(matrix_markdown())
    return 0


def cmd_makemigrations(settings: Settings | None, args: argparse.Namespace) -> int:
    from tortoise.cli.cli import run_cli_async

    argv = ["--config", "app.db.TORTOISE_ORM", "makemigrations"]
    if args.name:
        argv += ["--name", args.name]
    return asyncio.run(run_cli_async(argv))


# Commands that never touch settings (and so never create a data directory or secret).
_SETTINGS_FREE = {"export-schema", "permissions", "makemigrations"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def serve_options(p: argparse.ArgumentParser, migrate_default: bool) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--access-log", action="store_true")
        p.add_argument(
            "--migrate",
            action=argparse.BooleanOptionalAction,
            default=migrate_default,
            help="apply migrations before serving",
        )

    p = sub.add_parser("run", help="development: migrate, API and worker in one process")
    serve_options(p, True)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("api", help="serve the API (uvicorn)")
    serve_options(p, False)
    p.set_defaults(func=cmd_api)
    p = sub.add_parser("worker", help="run the arq worker")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    p = sub.add_parser("bootstrap", help="create an organization and its owner; prints a token")
    p.add_argument("--org-name", required=True)
    p.add_argument("--owner-email", required=True)
    p.add_argument("--owner-password", help="generated and printed when omitted")
    p.add_argument("--region", default="US", help="default phone region (ISO 3166 alpha-2)")
    p.add_argument("--timezone", default="UTC")
    p.set_defaults(func=cmd_bootstrap)

    p = sub.add_parser("api-key", help="manage API keys")
    key_sub = p.add_subparsers(dest="api_key_command", required=True)
    p = key_sub.add_parser("create", help="create a scoped API key; prints it once")
    p.add_argument("--org", required=True, help="organization id")
    p.add_argument("--scopes", required=True, help="comma-separated, e.g. wallet:read,wallet:earn")
    p.add_argument("--name", default="POS")
    p.set_defaults(func=cmd_api_key_create)

    p = sub.add_parser("seed", help="add synthetic customers, orders and wallets to an org")
    p.add_argument("--org", required=True, help="organization id")
    p.add_argument("--customers", type=int, required=True)
    p.add_argument("--orders-per-customer", type=float, default=5.0, help="the average")
    p.add_argument("--seed", type=int, default=1, help="same seed, same data")
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="planted: five planted kinds of shopper; lapsed-retail: most bought once and"
        " lapsed, a tail of heavy buyers, no birthdays, addresses or points",
    )
    p.add_argument(
        "--start-index", type=int, help="first customer index (default: after earlier seeds)"
    )
    p.add_argument("--workers", type=int, help="generator processes (PostgreSQL)")
    p.add_argument("--connections", type=int, default=2, help="concurrent COPY streams")
    p.add_argument(
        "--check-foreign-keys",
        action="store_true",
        help="keep foreign-key triggers on even when the role could skip them (slower)",
    )
    p.add_argument(
        "--segments",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="recompute lifecycle stages and RFM at the end",
    )
    p.set_defaults(func=cmd_seed)

    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        func=cmd_export_schema
    )
    sub.add_parser("permissions", help="print the role × operation matrix").set_defaults(
        func=cmd_permissions
    )
    p = sub.add_parser("makemigrations", help="generate a migration from model changes")
    p.add_argument("--name")
    p.set_defaults(func=cmd_makemigrations)

    from app.imports.cli import add_parser as add_import_parser

    add_import_parser(sub)
    from app.privacy_requests.cli import add_parser as add_privacy_parser

    add_privacy_parser(sub)
    from app.messaging.cli import add_parser as add_messages_parser

    add_messages_parser(sub)
    from app.consent.cli import add_parser as add_sms_parser

    add_sms_parser(sub)
    from app.lifecycle.cli import add_parser as add_segments_parser

    add_segments_parser(sub)
    from app.personas.cli import add_parser as add_personas_parser

    add_personas_parser(sub)
    from app.audit.cli import add_parser as add_audit_parser

    add_audit_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    if args.command not in _SETTINGS_FREE:
        try:
            settings = load_settings()
        except ConfigurationError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        notice = describe_new_state(settings)
        if notice:
            # stderr: stdout carries the JSON some commands print.
            print(notice, file=sys.stderr)
        _configure_logging(settings)
    try:
        code = args.func(settings, args)
    except Refused:
        code = 1
    raise SystemExit(code)
