"""The engine-neutral browser tests: Chromium (Playwright, CDP virtual authenticator), Firefox ESR
(Marionette, the WebDriver WebAuthn extension's virtual authenticator) and WebKitGTK (Safari's
engine, Selenium + WebKitWebDriver on Xvfb: no authenticator, so the dev flavor's dummy auth).
Playwright's own WebKit and Firefox builds cannot be downloaded here.

A test asks for `engine` (parametrized: the test id names the engine) and `browser` (fresh
profiles of that engine, `browser.profile(passkeys=...)`), or `driver` (one fresh profile).
`--browsers=chromium,webkit,firefox` (or `II_BROWSERS`) picks the engines (tests/conftest.py); an
engine that is asked for but missing fails, it does not skip.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from tests.e2e.conftest import WHOAMI_CANISTER_ID
from tests.e2e.conftest import dev_server, server  # noqa: F401  (the replica: dev and test flavors)
from tests.engines.drivers import OnThread, PlaywrightDriver
from tests.engines.launch import EngineMissing, launch, virtual_display

ENGINES = ["chromium", "firefox", "webkit"]


@pytest.fixture(scope="session")
def display():
    try:
        with virtual_display() as name:
            yield name
    except EngineMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="session")
def chromium_on_thread():
    """Debian's Chromium under Playwright on a thread of its own: tests/e2e's Playwright instance
    owns the main thread's event loop for the whole session, and a second sync instance cannot start
    beside it there."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command (make test), which installs it")
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")

    def start():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        return playwright, playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    playwright, chromium = worker.submit(start).result()
    yield worker, chromium
    worker.submit(chromium.close).result()
    worker.submit(playwright.stop).result()
    worker.shutdown()


class Browser:
    """Fresh profiles of one engine, closed at the end of the test."""

    def __init__(self, engine: str, request):
        self.engine, self.request, self.opened = engine, request, []

    def profile(self, passkeys: list | tuple = ()):
        if self.engine == "chromium":
            worker, chromium = self.request.getfixturevalue("chromium_on_thread")

            def open_profile():
                from tests.e2e.conftest import new_profile

                return PlaywrightDriver(new_profile(chromium, passkeys))

            driver = OnThread(worker.submit(open_profile).result(), worker)
            self.opened.append(driver.close)
            return driver
        self.request.getfixturevalue("display")
        try:
            driver, close = launch(self.engine, passkeys)
        except EngineMissing as exc:
            pytest.fail(str(exc))
        self.opened.append(close)
        return driver

    def close(self) -> None:
        for close in reversed(self.opened):
            close()


@pytest.fixture
def browser(engine, request):
    browser = Browser(engine, request)
    yield browser
    browser.close()


@pytest.fixture
def driver(browser):
    """A fresh profile of `engine`."""
    return browser.profile()


class SafariForm:
    """A replica as Safari reaches it: Safari does not resolve `*.localhost`, so the II is
    `http://localhost:PORT/?canisterId=<II>` (the replica's `?canisterId=` routing, as `dfx` has it)
    and the demo dapp `http://127.0.0.1:PORT/<page>?canisterId=<whoami>&iiUrl=<that II URL>`: another
    origin than the II's, as a dapp's is (on `localhost` too it would share the II's origin)."""

    def __init__(self, server):
        self.server = server
        self.port = server.port

    @property
    def ii_url(self) -> str:
        return self.server.ii_url_query

    def dapp_url(self, page: str = "") -> str:
        return (f"http://127.0.0.1:{self.port}/{page}?canisterId={WHOAMI_CANISTER_ID}"
                f"&iiUrl={quote(self.ii_url, safe='')}")

    def log(self) -> str:
        return self.server.log()


@pytest.fixture
def replica(engine, request):
    """The replica a flow runs against: the test flavor (real passkeys) where the engine has a
    virtual authenticator; for WebKitGTK, which has none, the dev flavor (dummy auth) at the URLs
    Safari can open (`SafariForm`)."""
    if engine == "webkit":
        return SafariForm(request.getfixturevalue("dev_server"))
    return request.getfixturevalue("server")
