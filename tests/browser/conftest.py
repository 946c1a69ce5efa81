"""Fixtures for the browser tests: Chromium through Playwright against pytest-django's
live server, with the demo area loaded.

Chromium comes from $CHROMIUM_PATH or Debian's /usr/bin/chromium (scripts/ensure-chromium.sh
installs it); we never run `playwright install`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM
# calls from the test (for example reading a TOTP device) as if they came from async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser.support import (
    AXE_SCRIPT,
    BUILT_CSS,
    SCREENSHOT_DIR,
    PageChecker,
    PageMonitor,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = (
            f"CHROMIUM_PATH={os.environ['CHROMIUM_PATH']!r} does not exist"
            if os.environ.get("CHROMIUM_PATH")
            else "no Chromium at /usr/bin/chromium or on PATH"
        )
        pytest.fail(
            f"The browser tests need Chromium ({where}). Run scripts/ensure-chromium.sh, or "
            "install it with `sudo apt-get update && sudo apt-get install -y chromium` "
            "(Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium or Chrome executable. "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def built_frontend() -> None:
    if not BUILT_CSS.is_file():
        pytest.fail(
            f"The front end is not built ({BUILT_CSS} is missing). "
            "Run `npm ci && npm run build` first.",
            pytrace=False,
        )
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is missing ({AXE_SCRIPT}). Run `npm ci` first.", pytrace=False)
    SCREENSHOT_DIR.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(
    playwright_instance: Playwright, chromium_path: str, built_frontend: None
) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _fresh_page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, pointed at the live server."""
    yield from _fresh_page(browser, live_server)


@pytest.fixture
def second_page(browser: Browser, live_server) -> Iterator[Page]:
    """Another browser context with its own cookies, for a second person in a journey."""
    yield from _fresh_page(browser, live_server)


@pytest.fixture
def monitor(page: Page) -> PageMonitor:
    return PageMonitor(page)


@pytest.fixture
def checker(page: Page, monitor: PageMonitor) -> Iterator[PageChecker]:
    checker = PageChecker(page, monitor)
    yield checker
    # When a test stops early (a missing link, a timeout), still show what went wrong on
    # the pages it had checked: pytest prints this with the failure.
    if checker.problems:
        print("Problems found on pages before the test stopped:\n" + "\n".join(checker.problems))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """The demo and every sign-in hash passwords; a fast hasher keeps the suite quick.
    (The live server runs in this process, so it sees the same settings.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(live_server):
    """The demo area, small, loaded into the live server's database for this test (the live
    server's transactional database is emptied after every test)."""
    from tests.browser.demo_area import load_demo_area

    return load_demo_area()
