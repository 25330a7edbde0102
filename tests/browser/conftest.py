"""Headless Chromium against Django's live server, for any browser test.

Fixtures: `chromium` (one browser per test module), `page_factory(width, height)` and
`page` (a fresh page; requests that leave the live server are refused and recorded),
and `axe(page)` (axe-core's serious and critical violations on the page).

The browser is Debian's /usr/bin/chromium: no test tool downloads its own. scripts/test
installs it, and axe-core through `npm ci`, on a fresh machine.
"""

import os
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.core.cache import cache

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django
    # would take for async code; allowed only while the browser is up, then restored.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_factory(chromium, live_server):
    """Make pages of a given size; other keywords go to Browser.new_context.

    Anything not served by the live server is refused and listed in
    `page.external_requests`; console errors land in `page.console_errors`.
    """
    cache.clear()  # the live server shares this process's cache
    contexts = []

    def make(width=1280, height=900, **options):
        context = chromium.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.external_requests = []
        page.console_errors = []

        def only_the_live_server(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                page.external_requests.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_live_server)
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
    cache.clear()


@pytest.fixture
def page(page_factory):
    return page_factory()


@pytest.fixture
def axe():
    """Run axe-core in the page; return its serious and critical violations."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/test does)")
    source = AXE.read_text()

    def run(page, impacts=("serious", "critical")):
        # The pages' Content-Security-Policy refuses inline script, so axe-core goes in as
        # a same-origin script file that the browser fetches and this route answers.
        url = urljoin(page.url, AXE_PATH)
        page.route(
            url,
            lambda route: route.fulfill(body=source, content_type="application/javascript"),
        )
        page.add_script_tag(url=url)
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in violations
            if v["impact"] in impacts
        ]

    return run
