"""One small interface over the engines' drivers, and the demo dapp / II popup steps on it (the
DOM contract of DESIGN section 6, as tests/e2e/dapp.py has it for Playwright).

`Driver`: `goto(url)`, `js(expression)` (JSON-compatible result), `click(css)` (a click that counts
as the person's: it may open a popup), `fill(css, value)`, `open_window(url)` (from the current
page's script, as a dapp does), `windows()`, `switch(window)`, `current`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

TIMEOUT_S = 90


class SeleniumDriver:
    """WebKitGTK through WebKitWebDriver: real clicks and keystrokes."""

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

    def windows(self) -> list[str]:
        return list(self.driver.window_handles)

    def switch(self, window: str) -> None:
        self.driver.switch_to.window(window)

    @property
    def current(self) -> str:
        return self.driver.current_window_handle


class BidiDriver:
    """Firefox through its WebDriver BiDi agent (tests/engines/bidi.py)."""

    def __init__(self, firefox):
        self.firefox = firefox

    def goto(self, url: str) -> None:
        self.firefox.goto(url)

    def js(self, expression: str) -> Any:
        return self.firefox.js(expression)

    def click(self, css: str) -> None:
        self.firefox.js(f"document.querySelector({json.dumps(css)}).click()", user_activation=True)

    def fill(self, css: str, value: str) -> None:
        self.firefox.js(f"(e => {{ e.value = {json.dumps(value)}; e.dispatchEvent(new Event('input', "
                        f"{{bubbles: true}})); }})(document.querySelector({json.dumps(css)}))")

    def open_window(self, url: str) -> None:
        self.firefox.js(f"void window.open({json.dumps(url)}, 'ii')", user_activation=True)

    def windows(self) -> list[str]:
        return self.firefox.contexts()

    def switch(self, window: str) -> None:
        self.firefox.current = window

    @property
    def current(self) -> str:
        return self.firefox.current


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


def visible(driver, css: str) -> bool:
    return bool(driver.js(f"(e => !!e && !!(e.offsetWidth || e.offsetHeight))(document.querySelector({json.dumps(css)}))"))


def text(driver, css: str) -> str:
    wait(lambda: visible(driver, css), css)
    return driver.js(f"document.querySelector({json.dumps(css)}).textContent").strip()


def click(driver, css: str) -> None:
    wait(lambda: visible(driver, css), css)
    driver.click(css)


def fill(driver, css: str, value: str) -> None:
    wait(lambda: visible(driver, css), css)
    driver.fill(css, value)


def app_state(driver) -> str:
    return wait(lambda: (lambda s: s if s != "loading" else None)(driver.js("document.documentElement.dataset.appState")),
                "the page to leave the loading state")


def open_dapp(driver, url: str) -> str:
    driver.goto(url)
    wait(lambda: driver.js("document.documentElement.dataset.dappReady") == "true", "the dapp to be ready")
    return driver.current


def click_login(driver, dapp: str) -> str:
    """Click the dapp's login button; switch to the popup once it is ready."""
    before = set(driver.windows())
    click(driver, "[data-tid=login-button]")
    (popup,) = wait(lambda: set(driver.windows()) - before, "the II popup")
    driver.switch(popup)
    assert app_state(driver) == "ready"
    return popup


def register_new_identity(driver) -> int:
    """The classic sequence of DESIGN section 6 (dummy auth, dummy captcha)."""
    click(driver, "#registerButton")
    fill(driver, "input#captchaInput", "a")
    click(driver, "#confirmRegisterButton")
    number = int(text(driver, "#userNumber"))
    click(driver, "#displayUserContinue")
    return number


def dapp_principal(driver, dapp: str) -> str:
    """Back on the dapp: the principal it got, checked against what whoami answered."""
    driver.switch(dapp)
    whoami = text(driver, "[data-tid=whoami]")
    assert whoami == driver.js("document.querySelector('[data-tid=principal]').textContent").strip(), \
        "whoami sees another principal"
    return whoami


def open_popup_without_request(driver, url: str) -> str:
    """A window opened by a page that never sends the authorize request."""
    before = set(driver.windows())
    driver.open_window(url)
    (popup,) = wait(lambda: set(driver.windows()) - before, "the II window")
    driver.switch(popup)
    return popup
