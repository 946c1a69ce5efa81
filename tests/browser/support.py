"""Helpers for the browser tests: signing in, and checking a page (screenshot, axe-core,
console errors and Content-Security-Policy violations).

Kept apart from conftest.py so that test modules can import them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, Response

PROJECT_DIR = Path(settings.BASE_DIR)
SCREENSHOT_DIR = PROJECT_DIR / "screenshots"
AXE_SCRIPT = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
BUILT_CSS = Path(settings.PACKAGE_DIR) / "static" / "build" / "joinedup.css"

# Violations of these impacts fail a test; "minor" and "moderate" are reported only.
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass
class PageMonitor:
    """Collects what a page reports on its console: errors, uncaught exceptions and CSP
    violations (Chromium logs those as console errors naming the Content Security Policy)."""

    page: Page
    errors: list[str] = field(default_factory=list)
    document_csp: str | None = None

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("response", self._on_response)
        self.page.on("pageerror", lambda error: self.errors.append(f"Uncaught exception: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" or "Refused to" in text or "Content Security Policy" in text:
            location = message.location.get("url", "") if message.location else ""
            self.errors.append(f"[{message.type}] {text} ({location})" if location else text)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and request.frame == self.page.main_frame:
            self.document_csp = response.headers.get("content-security-policy")

    def take(self) -> list[str]:
        """The errors seen since the last call."""
        errors, self.errors = self.errors, []
        return errors


def _expected_status_message(error: str, expected_status: int | None) -> bool:
    """Chromium logs a console error for the document itself when it comes with an error
    status; on the 403 and 404 pages that is the point, not a fault."""
    return expected_status is not None and bool(
        re.search(
            rf"Failed to load resource: the server responded with a status of {expected_status}\b",
            error,
        )
    )


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Runs axe-core on the page and returns its violations.

    The script is evaluated through the DevTools protocol rather than added as a <script>
    tag, which the strict Content-Security-Policy would (rightly) block.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target.join(' '), html: n.html, summary: n.failureSummary,
                })),
            }));
        }"""
    )
    return list(result)


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"  - [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"      at {node['target']}: {node['html'][:160]}")
            summary = (node.get("summary") or "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"      … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


@dataclass
class PageChecker:
    """Takes a screenshot of the current page, runs axe-core on it and checks the console.

    Problems are collected rather than raised at once, so that one test can visit every
    main page for a role and report every page that has a problem.
    """

    page: Page
    monitor: PageMonitor
    problems: list[str] = field(default_factory=list)
    minor_findings: list[str] = field(default_factory=list)

    def check(self, name: str, expected_status: int | None = None) -> None:
        page = self.page
        page.wait_for_load_state("load")
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / f"{name}.png", full_page=True)
        where = f"{name} ({page.url})"

        styled = page.evaluate(
            """() => ({
                css: [...document.styleSheets].some(s => (s.href || '').includes('joinedup.css')
                                                     && s.cssRules.length > 0),
                frontend: document.body.classList.contains('govuk-frontend-supported'),
                header: !!document.querySelector('.govuk-template__header'),
                main: !!document.querySelector('main#main-content'),
                h1: document.querySelectorAll('h1').length,
            })"""
        )
        if not styled["css"]:
            self.problems.append(f"{where}: the joinedup.css stylesheet did not load")
        if not styled["frontend"]:
            self.problems.append(
                f"{where}: the nonce'd inline script did not run (no govuk-frontend-supported class)"
            )
        if not (styled["header"] and styled["main"]):
            self.problems.append(
                f"{where}: the page does not use the base layout (header and main)"
            )
        if styled["h1"] != 1:
            self.problems.append(f"{where}: expected one <h1>, found {styled['h1']}")

        csp = self.monitor.document_csp or ""
        if "script-src 'self' 'nonce-" not in csp or "unsafe-" in csp:
            self.problems.append(
                f"{where}: the Content-Security-Policy is missing or weakened: {csp!r}"
            )

        violations = run_axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        others = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
        if blocking:
            self.problems.append(
                f"{where}: axe-core found serious or critical violations:\n{describe_violations(blocking)}"
            )
        if others:
            self.minor_findings.append(f"{where}:\n{describe_violations(others)}")

        errors = [
            e for e in self.monitor.take() if not _expected_status_message(e, expected_status)
        ]
        if errors:
            listed = "\n".join(f"  - {error}" for error in errors)
            self.problems.append(f"{where}: console errors or CSP violations:\n{listed}")

    def assert_no_problems(self) -> None:
        if self.minor_findings:
            # Shown with -rA or when the test fails; not a failure in itself.
            print("axe-core minor/moderate findings:\n" + "\n".join(self.minor_findings))
        assert not self.problems, "Problems found on pages:\n" + "\n".join(self.problems)


def totp_token(username: str) -> str:
    """The current TOTP code for the user's confirmed device, computed as the authenticator
    app would. Waits for the next time step when the current code has already been used
    (django-otp refuses a code twice)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    assert device is not None, f"{username} has no confirmed TOTP device"
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.2)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(page: Page, username: str, password: str, checker: PageChecker | None = None) -> None:
    """Signs in through the real sign-in page, then (everyone must use two-factor
    authentication) enters the current code on the verify page, or, for someone without an
    authenticator yet, sets one up with the key the page shows. With a checker, the two-factor
    page is checked (and screenshotted) on the way."""
    page.goto(reverse("accounts:sign-in"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    if "/two-factor/verify/" in page.url:
        if checker is not None:
            checker.check(f"{username}-two-factor-verify")
        enter_two_factor_code(page, username)
    elif "/two-factor/set-up/" in page.url:
        if checker is not None:
            checker.check(f"{username}-two-factor-set-up")
        set_up_two_factor(page)
    assert "/accounts/sign-in/" not in page.url and "/two-factor/" not in page.url, (
        f"{username} did not get past sign-in; still at {page.url}: "
        + page.locator("main").inner_text()[:500]
    )


def set_up_two_factor(page: Page) -> None:
    """On the two-factor set-up page: types in the key as someone who cannot scan the QR
    code would, then the code their app shows."""
    page.get_by_text("I cannot scan the QR code").click()
    setup_key = page.locator("#secret-key").inner_text()
    page.get_by_label("Code from your authenticator app").fill(totp_from_setup_key(setup_key))
    page.locator("main form button[type='submit']").first.click()
    page.wait_for_load_state("load")


def enter_two_factor_code(page: Page, username: str) -> None:
    """On the two-factor verify page: types the current code and submits it."""
    code_input = page.locator("input[autocomplete='one-time-code'], input[name='otp_token']").first
    assert code_input.count(), (
        f"The two-factor page {page.url} has no code input: "
        + page.locator("main").inner_text()[:300]
    )
    code_input.fill(totp_token(username))
    page.locator("main form button[type='submit'], main form input[type='submit']").first.click()
    page.wait_for_load_state("load")


def page_slug(path: str) -> str:
    """A screenshot name for a path: /partnerships/3/members/add/ → partnerships-members-add,
    /accounts/manage/7/ → accounts-manage-detail."""
    parts = [part for part in path.strip("/").split("/") if part]
    if parts and parts[-1].isdigit():
        parts.append("detail")
    return "-".join(part for part in parts if not part.isdigit()) or "home"


def visit_linked_pages(
    page: Page,
    checker: PageChecker,
    role: str,
    prefix: str,
    *,
    depth: int = 2,
    limit: int = 10,
    skip: tuple[str, ...] = ("sign-out",),
) -> list[str]:
    """From the current page, follows links under ``prefix`` (breadth first, ``depth`` links
    deep) and checks each page, one of each kind of address (/accounts/manage/7/ and
    /accounts/manage/8/ count as one). Returns the paths checked.

    This keeps up with pages added under a section without the test naming each one.
    """
    seen_patterns = {re.sub(r"\d+", "N", _path(page.url))}
    visited: list[str] = []
    frontier = [page.url]
    for _ in range(depth):
        next_frontier: list[str] = []
        for url in frontier:
            if page.url != url:
                page.goto(url)
            hrefs = page.eval_on_selector_all(
                "main a[href]", "links => links.map(a => a.getAttribute('href'))"
            )
            for href in hrefs:
                path = _path(href)
                pattern = re.sub(r"\d+", "N", path)
                if (
                    not path.startswith(prefix)
                    or pattern in seen_patterns
                    or any(word in path for word in skip)
                    or len(visited) >= limit
                ):
                    continue
                seen_patterns.add(pattern)
                response = page.goto(path)
                status = response.status if response else None
                checker.check(
                    f"{role}-{page_slug(path)}", expected_status=status if status != 200 else None
                )
                if status != 200:
                    checker.problems.append(f"{role}: {path} answered {status}")
                visited.append(path)
                next_frontier.append(page.url)
        frontier = next_frontier
    return visited


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def totp_from_setup_key(setup_key: str) -> str:
    """What an authenticator app shows for a set-up key typed in by hand (base32, spaces
    ignored, six digits, 30-second steps)."""
    from base64 import b32decode

    from django_otp.oath import totp

    secret = setup_key.replace(" ", "").upper()
    key = b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, digits=6):06d}"
