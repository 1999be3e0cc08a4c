"""Settings from the environment: embedded defaults in development, explicit in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import (
    ConfigurationError,
    Environment,
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


class TestProduction:
    def complete(self, tmp_path: Path) -> dict[str, str]:
        return {
            "LOYALTY_ENV": "production",
            "LOYALTY_DATA_DIR": str(tmp_path),
            "LOYALTY_SECRET_KEY": SECRET,
            "DATABASE_URL": "postgresql://app@db/loyalty",
            "REDIS_URL": "redis://cache:6379/0",
        }

    def test_runs_with_explicit_configuration(self, tmp_path: Path) -> None:
        settings = load_settings(self.complete(tmp_path))
        assert settings.env is Environment.PRODUCTION
        assert settings.database_url == "postgres://app@db/loyalty"
        assert not settings.is_development
        assert not (tmp_path / "secret_key").exists()

    @pytest.mark.parametrize("missing", ["LOYALTY_SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
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
