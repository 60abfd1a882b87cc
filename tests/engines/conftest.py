"""Browsers other than Chromium, driven over WebDriver: WebKitGTK (Safari's engine, Debian's
`webkit2gtk-driver` + MiniBrowser) through Selenium on an Xvfb display, and Debian's Firefox ESR
through its own WebDriver BiDi agent (tests/engines/bidi.py). Playwright's own WebKit and Firefox
builds cannot be downloaded here.

`--browsers=chromium,webkit` (or `II_BROWSERS`) picks the engines to run (tests/conftest.py);
an engine that is asked for but missing fails, it does not skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.engines.bidi import Firefox
from tests.engines.drivers import BidiDriver, SeleniumDriver

WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
MINIBROWSER = next(Path("/usr/lib").glob("*/webkit2gtk-4.*/MiniBrowser"), Path("/usr/lib/webkit2gtk-4.1/MiniBrowser"))
TIMEOUT_S = 90


@pytest.fixture(scope="session")
def display():
    """An X display for the engines that need one (WebKitGTK has no headless mode in Debian 12)."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: run the README's test command (make test), which installs it")
    number = 90 + os.getpid() % 100
    process = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    yield f":{number}"
    del os.environ["DISPLAY"]
    process.terminate()
    process.wait(timeout=10)


FIREFOX = Path("/usr/bin/firefox-esr")


def _webkit():
    if not (WEBKIT_DRIVER.exists() and MINIBROWSER.exists()):
        pytest.fail("WebKitGTK's WebDriver is missing: run the README's test command (make test), which installs it")
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    options = Options()
    options.binary_location = str(MINIBROWSER)
    options.add_argument("--automation")
    # MiniBrowser blocks every window.open that its own heuristics do not tie to a click; the
    # dapp libraries open the II popup a few microtasks after the click (README, browser support).
    options.add_argument("--javascript-can-open-windows-automatically=true")
    driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=str(WEBKIT_DRIVER)))
    driver.set_script_timeout(TIMEOUT_S)
    return SeleniumDriver(driver), driver.quit


def _firefox():
    if not FIREFOX.exists():
        pytest.fail("firefox-esr is missing: run the README's test command (make test), which installs it")
    firefox = Firefox(FIREFOX, TIMEOUT_S)
    return BidiDriver(firefox), firefox.close


@pytest.fixture(params=["webkit", "firefox"])
def engine(request):
    return request.param


@pytest.fixture
def driver(engine, display):
    """A fresh browser of `engine` (a new profile each time), behind tests/engines/drivers.py."""
    adapter, close = _webkit() if engine == "webkit" else _firefox()
    yield adapter
    close()


from tests.e2e.conftest import dev_server  # noqa: E402,F401  (the replica in the dev flavor)
