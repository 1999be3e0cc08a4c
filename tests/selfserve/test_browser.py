"""The self-serve privacy page in a real browser against a real service process (API and worker
in one, `loyalty run`, on the test's database and Redis): a shopper opts out, downloads their
data and erases it, reading each code from the outbox as their phone or inbox would show it;
a stranger's email walks through the same pages."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest_asyncio
from arq.connections import ArqRedis
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.config import Settings
from app.models.customer import Customer, CustomerStatus
from app.models.message import MessagePurpose
from app.models.organization import Organization
from tests.browser import chromium
from tests.conftest import Tenant
from tests.processes import free_port, loyalty_process, stop
from tests.selfserve.page import code_sent_to, latest_message

SHOPPER = "browser.shopper@example.org"
STRANGER = "browser.stranger@example.org"


@pytest_asyncio.fixture
async def service(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tmp_path: Path
) -> AsyncIterator[str]:
    port = free_port()
    log = tmp_path / "service.log"
    process = loyalty_process(
        "run",
        "--no-migrate",
        "--port",
        str(port),
        env={
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SECRET_KEY": settings.secret_key,
            "LOYALTY_DATA_DIR": str(settings.data_dir),
            "LOYALTY_LOG_LEVEL": "WARNING",
        },
        cwd=tmp_path,
        log=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
        yield base
    finally:
        stop(process)
        if isinstance(process, subprocess.Popen) and process.returncode not in (0, -15):
            print(log.read_text())


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def submit(browser: webdriver.Chrome) -> None:
    """Click the form's button and wait for the next page (forms post back; no script)."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def replaced(_: webdriver.Chrome) -> bool:
        # Chromium reports a node of the unloaded page as stale or, during the swap, as "not
        # in the document": either way the old page is gone.
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(browser, 30).until(replaced)


def page_text(browser: webdriver.Chrome, identifier: str) -> str:
    return browser.find_element(By.TAG_NAME, "main").text.replace(identifier, "X")


async def verify(browser: webdriver.Chrome, page: str, identifier: str) -> list[str]:
    """Open the page, ask for a code, type it in; the text of each page seen."""
    seen = []
    browser.get(page)
    seen.append(page_text(browser, identifier))
    assert browser.switch_to.active_element.get_attribute("id") == "identifier"
    browser.find_element(By.ID, "identifier").send_keys(identifier)
    submit(browser)
    seen.append(page_text(browser, identifier))
    code = await code_sent_to(identifier)
    browser.find_element(By.ID, "code").send_keys(code)
    submit(browser)
    seen.append(page_text(browser, identifier))
    return seen


def choose(browser: webdriver.Chrome, choice: str) -> str:
    # The label is what a person clicks (and what a screen reader announces).
    browser.find_element(By.CSS_SELECTOR, f"label[for=choice-{choice}]").click()
    submit(browser)
    return browser.find_element(By.TAG_NAME, "h1").text


async def test_a_shopper_opts_out_downloads_and_erases_in_a_browser(
    service: str, tenant: Tenant, tmp_path: Path
) -> None:
    org = await Organization.get(id=tenant.organization_id)
    page = f"{service}/privacy/{org.slug}"
    customer = await Customer.create(
        organization_id=tenant.organization_id,
        email=SHOPPER,
        first_name="Brow",
        last_name="Ser",
        email_opt_in=True,
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium(downloads) as browser:
        shopper_pages = await verify(browser, page, SHOPPER)
        assert choose(browser, "opt-out") == "You will not receive marketing messages"
        shopper_pages.append(page_text(browser, SHOPPER))

        async def opted_out() -> bool:
            return not (await Customer.get(id=customer.id)).email_opt_in

        await eventually(opted_out, "the opt-out")

        await verify(browser, page, SHOPPER)
        assert choose(browser, "export") == "Your download is on its way"
        message = await latest_message(SHOPPER, MessagePurpose.EXPORT_LINK)
        assert message is not None
        link = re.search(r"(https?://\S+/privacy/exports/\S+)", message.body)
        assert link is not None
        target = downloads / "my-data.json"

        async def downloaded() -> bool:
            if not target.exists():
                # Until the worker has made it, the link answers "being prepared".
                browser.get(link.group(1))
            return target.exists() and target.stat().st_size > 0

        await eventually(downloaded, "the export download")
        document = json.loads(target.read_text())
        assert document["customer"]["email"] == SHOPPER

        await verify(browser, page, SHOPPER)
        assert choose(browser, "erase") == "Your erasure request is received"

        async def erased() -> bool:
            return (await Customer.get(id=customer.id)).status is CustomerStatus.ERASED

        await eventually(erased, "the erasure")

        browser.delete_all_cookies()
        stranger_pages = await verify(browser, page, STRANGER)
        choose(browser, "opt-out")
        stranger_pages.append(page_text(browser, STRANGER))
        assert stranger_pages == shopper_pages
