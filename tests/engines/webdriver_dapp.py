"""The demo dapp and the II popup over WebDriver (Selenium): the same DOM contract as tests/e2e."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT_S = 90


def wait(driver, condition, timeout: float = TIMEOUT_S):
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)


def app_state(driver) -> str:
    wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.appState") != "loading")
    return driver.execute_script("return document.documentElement.dataset.appState")


def click(driver, css: str) -> None:
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()


def fill(driver, css: str, value: str) -> None:
    element = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css)))
    element.clear()
    element.send_keys(value)


def text(driver, css: str) -> str:
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, css))).text


def open_dapp(driver, url: str) -> str:
    driver.get(url)
    wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.dappReady") == "true")
    return driver.current_window_handle


def click_login(driver, dapp: str) -> str:
    """Click the dapp's login button (a real click: the popup needs the user gesture); switch to the
    popup once it is ready; return its handle."""
    before = set(driver.window_handles)
    click(driver, "[data-tid=login-button]")
    wait(driver, lambda d: len(set(d.window_handles) - before) == 1)
    (popup,) = set(driver.window_handles) - before
    driver.switch_to.window(popup)
    assert app_state(driver) == "ready"
    return popup


def register_new_identity(driver) -> int:
    click(driver, "#registerButton")
    fill(driver, "input#captchaInput", "a")
    click(driver, "#confirmRegisterButton")
    number = int(text(driver, "#userNumber"))
    click(driver, "#displayUserContinue")
    return number


def dapp_principal(driver, dapp: str) -> str:
    """Back on the dapp: the principal it got, checked against what whoami answered."""
    deadline = time.monotonic() + TIMEOUT_S
    while dapp not in driver.window_handles or driver.current_window_handle != dapp:
        driver.switch_to.window(dapp)
        if time.monotonic() > deadline:
            raise AssertionError("the dapp window is gone")
    whoami = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-tid=whoami]"))).text
    principal = driver.find_element(By.CSS_SELECTOR, "[data-tid=principal]").text
    assert whoami == principal, "whoami sees another principal"
    return principal
