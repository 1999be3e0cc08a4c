"""GraphiQL is served by the service itself: its page renders in a browser that can reach
nothing but this machine."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from app.config import Environment, Settings
from app.graphiql import SCRIPTS, STYLES, assets
from app.main import create_app
from tests.browser import chromium


def _settings(tmp_path: Path, env: Environment = Environment.DEVELOPMENT) -> Settings:
    # The page and its assets touch neither the database nor Redis.
    return Settings(
        env=env,
        data_dir=tmp_path,
        database_url="sqlite://:memory:",
        redis_url=None,
        secret_key="test-secret-key-" + "x" * 32,
    )


async def _get(settings: Settings, path: str, accept: str = "*/*") -> httpx.Response:
    app = create_app(settings, manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers={"accept": accept})


class TestPage:
    async def test_the_page_loads_every_asset_from_the_service_with_its_hash(
        self, tmp_path: Path
    ) -> None:
        response = await _get(_settings(tmp_path), "/graphql", accept="text/html")
        assert response.status_code == 200
        page = response.text
        assert "unpkg.com" not in page
        assert "https://" not in page
        assert "http://" not in page
        for name in (*STYLES, *SCRIPTS):
            body = (await _get(_settings(tmp_path), f"/graphiql/assets/{name}")).content
            digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
            assert f'/graphiql/assets/{name}" integrity="sha384-{digest}"' in page

    async def test_assets_have_their_media_types(self, tmp_path: Path) -> None:
        script = await _get(_settings(tmp_path), "/graphiql/assets/graphiql.min.js")
        style = await _get(_settings(tmp_path), "/graphiql/assets/graphiql.min.css")
        assert script.headers["content-type"].startswith("text/javascript")
        assert style.headers["content-type"].startswith("text/css")
        assert script.content == assets()["graphiql.min.js"].body

    async def test_only_the_files_of_the_page_are_served(self, tmp_path: Path) -> None:
        for path in (
            "/graphiql/assets/views.py",
            "/graphiql/assets/..%2F__init__.py",
            "/graphiql/assets/nothing.js",
        ):
            assert (await _get(_settings(tmp_path), path)).status_code == 404

    async def test_production_serves_neither_the_page_nor_its_assets(self, tmp_path: Path) -> None:
        settings = _settings(tmp_path, Environment.PRODUCTION)
        asset = await _get(settings, "/graphiql/assets/graphiql.min.js")
        assert asset.status_code == 404
        page = await _get(settings, "/graphql", accept="text/html")
        assert "GraphiQL" not in page.text


class _Server:
    """The app under uvicorn on a free port of 127.0.0.1, in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(
            create_app(settings, manage_resources=False),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()))

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            self.thread.join(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def test_graphiql_renders_offline_in_chromium(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """The screenshot stays in the test's tmp_path (pytest keeps the last runs) to look at."""
    with _Server(_settings(tmp_path)) as base:
        browser.get(f"{base}/graphql")
        wait = WebDriverWait(browser, 60)
        # GraphiQL's editor replaced the "Loading..." placeholder ...
        wait.until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, ".graphiql-container .graphiql-editors")
            )
        )
        # ... and fetched the schema from the service: the documentation lists its types.
        browser.find_element(By.CSS_SELECTOR, "[aria-label='Show Documentation Explorer']").click()
        wait.until(
            expected_conditions.presence_of_element_located(
                (By.XPATH, "//*[@class='graphiql-doc-explorer']//a[text()='Customer']")
            )
        )
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert loaded
        assert all(url.startswith(base) for url in loaded), loaded
        browser.save_screenshot(str(tmp_path / "graphiql.png"))
        assert "Loading..." not in browser.find_element(By.ID, "graphiql").text
        # A script refused for its integrity hash, or failing, would be logged here.
        logs = browser.get_log("browser")  # type: ignore[no-untyped-call]
        assert [e for e in logs if e["level"] == "SEVERE"] == []
