"""The Playwright side of the page objects: the demo dapp and its II popup as Playwright pages, and
`ii(page)` / `manage(page)`, the engine-neutral page objects of tests/pages.py on a page a test
holds. The selectors of the classic DOM contract (DESIGN section 6) live in tests/pages.py."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.conftest import wait_ready
from tests.engines.drivers import PlaywrightDriver
from tests.pages import II, Manage

TIMEOUT = 60_000


def ii(page) -> II:
    return II(PlaywrightDriver.on(page))


def manage(page) -> Manage:
    return Manage(PlaywrightDriver.on(page))


@dataclass
class Login:
    dapp: object
    popup: object

    @property
    def ii(self) -> II:
        return ii(self.popup)

    def principal(self) -> str:
        self.dapp.wait_for_selector("[data-tid=whoami]:not([hidden])", timeout=TIMEOUT)
        principal = self.dapp.text_content("[data-tid=principal]")
        assert self.dapp.text_content("[data-tid=whoami]") == principal, "whoami sees another principal"
        return principal


def open_dapp(context, url: str):
    dapp = context.new_page()
    dapp.goto(url)
    dapp.wait_for_function("document.documentElement.dataset.dappReady === 'true'", timeout=TIMEOUT)
    return dapp


def click_login(context, dapp, *, ready: bool = True) -> Login:
    """Clicks the dapp's login button; waits for the II popup to boot unless `ready` is False (a
    refused request: the dapp may close the popup before a test could see it ready)."""
    with context.expect_page(timeout=TIMEOUT) as popup:
        dapp.click("[data-tid=login-button]")
    page = popup.value
    if ready:
        assert wait_ready(page) == "ready"
    return Login(dapp, page)


def register_new_identity(popup, captcha: str = "a") -> int:
    return ii(popup).create_identity(captcha)


def register_with_index(popup, index: int, captcha: str = "a") -> int:
    return ii(popup).create_identity_as(index, captcha)


def sign_in_with_index(popup, index: int) -> None:
    ii(popup).sign_in_as(index)
