"""One small driver interface over the three engines, for the engine-neutral page objects
(tests/pages.py) and bench/boot.py.

`Driver`:
- `engine` ("chromium", "firefox", "webkit"); `passkeys`: whether it has a virtual authenticator
  (Chromium: CDP; Firefox: Marionette's WebDriver WebAuthn extension; WebKitGTK: none, so its
  flows use the dev flavor's dummy auth);
- `goto(url)`, `js(expression)` (a JSON-compatible value), `click(css)` (the person's click: it
  may open a popup), `fill(css, value)`, `screenshot(path)`;
- windows: `windows()` (handles), `switch(handle)`, `current`, `open_window(url)` (from the page's
  script, as a dapp does), `new_window(url)` (a new top-level window of the same profile);
- authenticators (only where `passkeys`): `new_authenticator(with_passkeys=True, **options)` (another
  authenticator: without this profile's passkeys it is another device, a security key; options as
  the CDP / WebDriver names them: `transport`, `hasResidentKey`, ...), `exported_passkeys()` (what
  `WebAuthn:GetCredentials` / CDP `credentialAdded` gave: to import into another profile);
- `close()`.

`Browser` (per engine): `profile(passkeys=())` opens a fresh browser profile whose authenticator
holds `passkeys`; `close()` closes every profile it opened.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

TIMEOUT_S = 90
# The authenticator of a passkey-capable profile: a platform authenticator (Touch ID, Windows Hello)
# with discoverable credentials and user verification, as tests/e2e/conftest.py gives Chromium.
PLATFORM_AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                          "hasUserVerification": True, "isUserVerified": True}


def wait(condition: Callable[[], Any], what: str, timeout_s: float = TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = condition()
        except Exception:  # the element or window is not there yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class SeleniumDriver:
    """WebKitGTK through WebKitWebDriver: real clicks and keystrokes; no virtual authenticator."""

    engine = "webkit"
    passkeys = False

    def __init__(self, driver):
        self.driver = driver

    def goto(self, url: str) -> None:
        self.driver.get(url)

    def js(self, expression: str) -> Any:
        return self.driver.execute_script(f"return {expression}")

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def fill(self, css: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.CSS_SELECTOR, css)
        element.clear()
        element.send_keys(value)

    def open_window(self, url: str) -> None:
        self.driver.execute_script("window.open(arguments[0], 'ii')", url)

    def new_window(self, url: str) -> str:
        self.driver.switch_to.new_window("window")
        self.driver.get(url)
        return self.current

    def windows(self) -> list[str]:
        return list(self.driver.window_handles)

    def switch(self, window: str) -> None:
        self.driver.switch_to.window(window)

    @property
    def current(self) -> str:
        return self.driver.current_window_handle

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def new_authenticator(self, **_options) -> None:
        raise NotImplementedError("WebKitWebDriver has no virtual authenticator")

    def exported_passkeys(self) -> list:
        return []

    def close(self) -> None:
        self.driver.quit()


class MarionetteDriver:
    """Firefox through Marionette (tests/engines/marionette.py), with the WebDriver WebAuthn
    extension's virtual authenticator. Firefox has one WebAuthn service per browser: the
    authenticator serves every window and popup of the profile, as a platform authenticator does."""

    engine = "firefox"
    passkeys = True

    def __init__(self, firefox, passkeys: list | tuple = ()):
        self.firefox = firefox
        self._stored = list(passkeys)  # the profile's passkeys not on the current authenticator
        self.authenticator: str | None = None
        if passkeys is not None:
            self._add_authenticator(PLATFORM_AUTHENTICATOR, self._stored)

    def _add_authenticator(self, options: dict, passkeys: list) -> None:
        self.authenticator = self.firefox.add_authenticator({**options, "isUserConsenting": True})
        for credential in passkeys:
            self.firefox.add_credential(self.authenticator, credential)

    def goto(self, url: str) -> None:
        self.firefox.goto(url)

    def js(self, expression: str) -> Any:
        return self.firefox.js(expression)

    def click(self, css: str) -> None:
        self.firefox.click(css)

    def fill(self, css: str, value: str) -> None:
        self.firefox.fill(css, value)

    def open_window(self, url: str) -> None:
        # A script cannot open a window without the person's activation in Firefox: a click does it.
        self.firefox.js(f"(() => {{ const a = document.createElement('button'); a.id = 'iiTestOpen'; "
                        f"a.onclick = () => window.open({json.dumps(url)}, 'ii'); document.body.append(a); }})()")
        self.firefox.click("#iiTestOpen")

    def new_window(self, url: str) -> str:
        handle = self.firefox.new_window()
        self.firefox.switch(handle)
        self.firefox.goto(url)
        return handle

    def windows(self) -> list[str]:
        return self.firefox.windows()

    def switch(self, window: str) -> None:
        self.firefox.switch(window)

    @property
    def current(self) -> str:
        return self.firefox.current

    def screenshot(self, path: Path) -> None:
        self.firefox.screenshot(path)

    def _merged(self) -> list[dict]:
        current = self.firefox.credentials(self.authenticator) if self.authenticator else []
        ids = {c["credentialId"] for c in current}
        return [c for c in self._stored if c["credentialId"] not in ids] + current

    def new_authenticator(self, *, with_passkeys: bool = True, **options) -> None:
        self._stored = self._merged()
        if self.authenticator:
            self.firefox.remove_authenticator(self.authenticator)
        self._add_authenticator({**PLATFORM_AUTHENTICATOR, **options}, self._stored if with_passkeys else [])

    def exported_passkeys(self) -> list[dict]:
        return self._merged()

    def close(self) -> None:
        self.firefox.close()


class PlaywrightDriver:
    """Chromium through Playwright, with tests/e2e/conftest.py's CDP virtual authenticator on every
    page (popups included) holding the profile's passkeys. `touch`: taps instead of clicks (a phone)."""

    engine = "chromium"
    passkeys = True

    def __init__(self, context, page=None, *, touch: bool = False):
        self.context = context
        self.touch = touch
        self.page = page or context.new_page()
        self._handles: dict[int, str] = {}
        from tests.e2e.conftest import add_virtual_authenticator

        add_virtual_authenticator(context, self.page)
        self._settle()

    @classmethod
    def on(cls, page) -> "PlaywrightDriver":
        """The driver of a page tests/e2e already holds (a fixture's page, a dapp's popup)."""
        return cls(page.context, page)

    def _settle(self) -> None:
        """Waits for the context's "page" handler (it runs in a greenlet of its own, so it may still
        be adding this page's authenticator when `new_page` returns)."""
        known = self.context.__dict__["_ii_authenticators"]
        wait(lambda: known.get(self.page) is not None or self.context.cookies() and False,
             "the page's virtual authenticator", timeout_s=30)

    def _handle(self, page) -> str:
        return self._handles.setdefault(id(page), f"page-{len(self._handles) + 1}")

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def js(self, expression: str) -> Any:
        return self.page.evaluate(f"() => ({expression})")

    def click(self, css: str) -> None:
        if self.touch:
            self.page.tap(css, timeout=TIMEOUT_S * 1000)
        else:
            self.page.click(css, timeout=TIMEOUT_S * 1000)

    def fill(self, css: str, value: str) -> None:
        self.page.fill(css, value, timeout=TIMEOUT_S * 1000)

    def open_window(self, url: str) -> None:
        self.page.evaluate("url => void window.open(url, 'ii')", url)

    def new_window(self, url: str) -> str:
        self.page = self.context.new_page()
        self._settle()
        self.page.goto(url)
        return self._handle(self.page)

    def windows(self) -> list[str]:
        self.context.cookies()  # a round trip: Playwright dispatches its events (a new popup) during calls
        return [self._handle(p) for p in self.context.pages if not p.is_closed()]

    def switch(self, window: str) -> None:
        self.page = next(p for p in self.context.pages if self._handle(p) == window)
        self.page.bring_to_front()

    @property
    def current(self) -> str:
        return self._handle(self.page)

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path))

    def answer_next_prompt(self, text: str) -> None:
        """The next `window.prompt` of this page is answered with `text` (Playwright otherwise
        dismisses every dialog, which the page reads as "cancelled")."""
        self.page.once("dialog", lambda dialog: dialog.accept(text))

    def new_authenticator(self, *, with_passkeys: bool = True, **options) -> None:
        from tests.e2e.conftest import swap_authenticator

        swap_authenticator(self.page, with_passkeys=with_passkeys, **options)

    def exported_passkeys(self) -> list[dict]:
        return list(self.context.__dict__.get("_ii_passkeys", []))

    def close(self) -> None:
        self.context.close()


class OnThread:
    """Every attribute and call of `target` run on `worker`'s one thread: Playwright's sync API
    belongs to the thread that started it, and tests/e2e keeps its own instance on the main one."""

    def __init__(self, target, worker: ThreadPoolExecutor):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_worker", worker)

    def __getattr__(self, name: str):
        value = self._worker.submit(getattr, self._target, name).result()
        if callable(value):
            return lambda *args, **kwargs: self._worker.submit(value, *args, **kwargs).result()
        return value


def text_of(driver, css: str) -> str:
    return driver.js(f"(e => e ? e.textContent.trim() : null)(document.querySelector({json.dumps(css)}))")


# -- the steps bench/boot.py and the engine tests share --------------------------------------------

def visible(driver, css: str) -> bool:
    return bool(driver.js(f"(e => !!e && !!(e.offsetWidth || e.offsetHeight))(document.querySelector({json.dumps(css)}))"))


def text(driver, css: str) -> str:
    wait(lambda: visible(driver, css), css)
    return text_of(driver, css)


BOOT_TIMEOUT_S = 240  # Pyodide's boot on a loaded 2-core machine (WebKitGTK: several times Chromium's)


def app_state(driver) -> str:
    return wait(lambda: (lambda s: s if s != "loading" else None)(driver.js("document.documentElement.dataset.appState")),
                f"[{getattr(driver, 'engine', '?')}] the page to leave the loading state", BOOT_TIMEOUT_S)
