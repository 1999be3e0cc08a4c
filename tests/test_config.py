"""Settings from the environment: embedded defaults in development, explicit in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import (
    ConfigurationError,
    EmailProviderKind,
    Environment,
    SmsProviderKind,
    SmtpSecurity,
    default_data_dir,
    describe_new_state,
    format_blocklist_keys,
    load_settings,
    normalize_database_url,
)

SECRET = "s" * 40


class TestDevelopment:
    def test_needs_nothing_but_a_data_directory(self, tmp_path: Path) -> None:
        settings = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
        assert settings.env is Environment.DEVELOPMENT
        assert settings.database_url == f"sqlite://{tmp_path / 'loyalty.sqlite3'}"
        assert settings.uses_embedded_redis
        assert len(settings.secret_key) >= 32

    def test_the_generated_secret_is_private_and_kept(self, tmp_path: Path) -> None:
        first = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
        second = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
        assert first.secret_key == second.secret_key
        assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0

    def test_reads_limits_and_origins(self, tmp_path: Path) -> None:
        settings = load_settings(
            {
                "LOYALTY_DATA_DIR": str(tmp_path),
                "LOYALTY_MAX_QUERY_DEPTH": "5",
                "LOYALTY_CORS_ORIGINS": "https://admin.example.com, ,https://pos.example.com",
            }
        )
        assert settings.max_query_depth == 5
        assert settings.cors_origins == ("https://admin.example.com", "https://pos.example.com")

    def test_a_non_integer_limit_is_a_configuration_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="LOYALTY_MAX_TOKENS"):
            load_settings({"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_MAX_TOKENS": "many"})


class TestDataDirectory:
    def test_defaults_to_the_user_data_folder_wherever_it_runs_from(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        environ = {"XDG_DATA_HOME": str(tmp_path / "share")}
        seen = set()
        for folder in ("a", "b"):
            (tmp_path / folder).mkdir()
            monkeypatch.chdir(tmp_path / folder)
            seen.add(load_settings(environ).data_dir)
        assert seen == {tmp_path / "share" / "loyalty"}

    def test_without_xdg_data_home_it_is_under_the_home_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HOME", str(tmp_path))
        assert default_data_dir({}) == tmp_path / ".local" / "share" / "loyalty"
        # The XDG spec: a relative value is ignored.
        assert default_data_dir({"XDG_DATA_HOME": "rel"}) == default_data_dir({})

    def test_a_relative_setting_is_taken_from_the_current_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        assert load_settings({"LOYALTY_DATA_DIR": "here"}).data_dir == tmp_path / "here"

    def test_says_what_it_created_the_first_time_only(self, tmp_path: Path) -> None:
        environ = {"LOYALTY_DATA_DIR": str(tmp_path / "fresh")}
        first = load_settings(environ)
        assert first.created == ("data directory", "database", "secret key", "blocklist key")
        notice = describe_new_state(first)
        assert notice is not None
        assert str(tmp_path / "fresh") in notice
        assert "loyalty.sqlite3" in notice
        (tmp_path / "fresh" / "loyalty.sqlite3").touch()
        assert describe_new_state(load_settings(environ)) is None

    def test_never_prints_a_configured_database_url(self, tmp_path: Path) -> None:
        settings = load_settings(
            {
                "LOYALTY_DATA_DIR": str(tmp_path / "fresh"),
                "DATABASE_URL": "postgres://app:hunter2@db/loyalty",
            }
        )
        notice = describe_new_state(settings)
        assert notice is not None
        assert "hunter2" not in notice


class TestProduction:
    def complete(self, tmp_path: Path) -> dict[str, str]:
        return {
            "LOYALTY_ENV": "production",
            "LOYALTY_DATA_DIR": str(tmp_path),
            "LOYALTY_SECRET_KEY": SECRET,
            "LOYALTY_BLOCKLIST_KEY": "1:" + SECRET,
            "DATABASE_URL": "postgresql://app@db/loyalty",
            "REDIS_URL": "redis://cache:6379/0",
        }

    def test_runs_with_explicit_configuration(self, tmp_path: Path) -> None:
        settings = load_settings(self.complete(tmp_path))
        assert settings.env is Environment.PRODUCTION
        assert settings.database_url == "postgres://app@db/loyalty"
        assert not settings.is_development
        assert not (tmp_path / "secret_key").exists()
        assert not (tmp_path / "blocklist_key").exists()
        assert settings.blocklist_keys == ((1, SECRET),)

    @pytest.mark.parametrize(
        "missing", ["LOYALTY_SECRET_KEY", "LOYALTY_BLOCKLIST_KEY", "DATABASE_URL", "REDIS_URL"]
    )
    def test_refuses_to_start_without(self, tmp_path: Path, missing: str) -> None:
        environ = self.complete(tmp_path)
        del environ[missing]
        with pytest.raises(ConfigurationError, match=missing):
            load_settings(environ)

    def test_refuses_a_short_secret_key(self, tmp_path: Path) -> None:
        environ = self.complete(tmp_path) | {"LOYALTY_SECRET_KEY": "short"}
        with pytest.raises(ConfigurationError, match="at least 32"):
            load_settings(environ)

    def test_refuses_an_unknown_environment(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError):
            load_settings({"LOYALTY_ENV": "staging", "LOYALTY_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgres://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgres://u@h/db"),
        ("asyncpg://u@h/db", "postgres://u@h/db"),
        ("postgres://u@h/db", "postgres://u@h/db"),
        ("sqlite:///tmp/x.sqlite3", "sqlite:///tmp/x.sqlite3"),
    ],
)
def test_database_url_spellings(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


class TestMessaging:
    def test_the_outbox_provider_is_the_default_for_both_channels(self, tmp_path: Path) -> None:
        messaging = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)}).messaging
        assert (messaging.sms_provider, messaging.email_provider) == (
            SmsProviderKind.OUTBOX,
            EmailProviderKind.OUTBOX,
        )

    def test_twilio_and_smtp_from_the_environment(self, tmp_path: Path) -> None:
        messaging = load_settings(
            {
                "LOYALTY_DATA_DIR": str(tmp_path),
                "LOYALTY_SMS_PROVIDER": "Twilio",
                "LOYALTY_TWILIO_ACCOUNT_SID": "AC123",
                "LOYALTY_TWILIO_AUTH_TOKEN": "tw-s3cret",
                "LOYALTY_SMS_MESSAGING_SERVICE": "MG123",
                "LOYALTY_EMAIL_PROVIDER": "smtp",
                "LOYALTY_SMTP_HOST": "smtp.example.com",
                "LOYALTY_SMTP_PORT": "465",
                "LOYALTY_SMTP_SECURITY": "tls",
                "LOYALTY_SMTP_PASSWORD": "smtp-s3cret",
                "LOYALTY_EMAIL_FROM": "rewards@acme.example",
                "LOYALTY_PUBLIC_URL": "https://loyalty.acme.example",
            }
        ).messaging
        assert messaging.sms_provider is SmsProviderKind.TWILIO
        assert messaging.sms_messaging_service == "MG123"
        assert (messaging.smtp_host, messaging.smtp_port) == ("smtp.example.com", 465)
        assert messaging.smtp_security is SmtpSecurity.TLS
        # Secrets stay out of reprs (and so out of logs and tracebacks).
        assert "s3cret" not in repr(messaging)

    @pytest.mark.parametrize(
        ("environ", "problem"),
        [
            ({"LOYALTY_SMS_PROVIDER": "pigeon"}, "LOYALTY_SMS_PROVIDER"),
            ({"LOYALTY_SMS_PROVIDER": "twilio"}, "LOYALTY_TWILIO_ACCOUNT_SID"),
            (
                {
                    "LOYALTY_SMS_PROVIDER": "twilio",
                    "LOYALTY_TWILIO_ACCOUNT_SID": "AC1",
                    "LOYALTY_TWILIO_AUTH_TOKEN": "t",
                },
                "LOYALTY_SMS_FROM",
            ),
            ({"LOYALTY_EMAIL_PROVIDER": "smtp"}, "LOYALTY_SMTP_HOST"),
            ({"LOYALTY_SMTP_SECURITY": "ssl3"}, "LOYALTY_SMTP_SECURITY"),
            ({"LOYALTY_MESSAGE_MAX_ATTEMPTS": "0"}, "LOYALTY_MESSAGE_MAX_ATTEMPTS"),
        ],
    )
    def test_an_incomplete_provider_is_a_configuration_error(
        self, tmp_path: Path, environ: dict[str, str], problem: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=problem):
            load_settings({"LOYALTY_DATA_DIR": str(tmp_path), **environ})


class TestBlocklistKey:
    def test_generated_once_private_and_kept_in_development(self, tmp_path: Path) -> None:
        first = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
        second = load_settings({"LOYALTY_DATA_DIR": str(tmp_path)})
        assert first.blocklist_keys == second.blocklist_keys
        [(version, key)] = first.blocklist_keys
        assert version == 1
        assert len(key) >= 32
        assert (tmp_path / "blocklist_key").stat().st_mode & 0o077 == 0

    def test_versions_while_rotating(self, tmp_path: Path) -> None:
        old, new = "o" * 32, "n" * 32
        environ = {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_BLOCKLIST_KEY": f"2:{new},1:{old}"}
        assert load_settings(environ).blocklist_keys == ((1, old), (2, new))

    @pytest.mark.parametrize("raw", ["short", "1:" + "a" * 32 + ",1:" + "b" * 32, "x:" + "a" * 32])
    def test_refuses_a_bad_key_list(self, tmp_path: Path, raw: str) -> None:
        environ = {"LOYALTY_DATA_DIR": str(tmp_path), "LOYALTY_BLOCKLIST_KEY": raw}
        with pytest.raises(ConfigurationError, match="LOYALTY_BLOCKLIST_KEY"):
            load_settings(environ)


def test_blocklist_keys_pass_to_another_process_unchanged(tmp_path: Path) -> None:
    keys = ((1, "o" * 32), (2, "n" * 32))
    environ = {
        "LOYALTY_DATA_DIR": str(tmp_path),
        "LOYALTY_BLOCKLIST_KEY": format_blocklist_keys(keys),
    }
    assert load_settings(environ).blocklist_keys == keys
