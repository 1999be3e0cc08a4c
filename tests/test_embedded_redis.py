"""The embedded redis-server is shared by every process using one data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from app.embedded_redis import EmbeddedRedis


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    # A short path: a unix socket's path is limited to about 100 bytes.
    return tmp_path / "r"


class TestSharing:
    def test_a_second_user_joins_the_running_server(self, directory: Path) -> None:
        first, second = EmbeddedRedis(directory), EmbeddedRedis(directory)
        url = first.start()
        try:
            assert second.start() == url
            assert first.owned
            assert not second.owned
            writer = redis.Redis.from_url(url)
            writer.set("seen-by", "both")
            writer.close()
            reader = redis.Redis.from_url(second.url)
            assert reader.get("seen-by") == b"both"
            reader.close()
        finally:
            second.stop()
            first.stop()

    def test_the_server_stays_while_another_process_uses_it(self, directory: Path) -> None:
        starter, joiner = EmbeddedRedis(directory), EmbeddedRedis(directory)
        url = starter.start()
        joiner.start()
        try:
            starter.stop()
            assert answers(url)
        finally:
            joiner.stop()
        assert not answers(url)

    def test_the_last_user_shuts_it_down_whoever_started_it(self, directory: Path) -> None:
        starter, joiner = EmbeddedRedis(directory), EmbeddedRedis(directory)
        url = starter.start()
        joiner.start()
        joiner.stop()
        assert answers(url)
        starter.stop()
        assert not answers(url)
        assert not (directory / "redis.sock").exists()

    def test_a_stale_socket_is_replaced(self, directory: Path) -> None:
        directory.mkdir()
        (directory / "redis.sock").write_text("left by a crash")
        embedded = EmbeddedRedis(directory)
        try:
            assert answers(embedded.start())
            assert embedded.owned
        finally:
            embedded.stop()
