"""Starting the WebDriver engines (used by tests/engines and bench/boot.py --engine).

WebKitGTK: Debian's `webkit2gtk-driver` (WebKitWebDriver + MiniBrowser) through Selenium, on an X
display (Xvfb when there is none). Firefox: Debian's `firefox-esr`, headless, through its own
Marionette server (tests/engines/marionette.py), with a virtual authenticator.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

from tests.engines.drivers import MarionetteDriver, SeleniumDriver
from tests.engines.marionette import Firefox

WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")
MINIBROWSER = next(Path("/usr/lib").glob("*/webkit2gtk-4.*/MiniBrowser"), Path("/usr/lib/webkit2gtk-4.1/MiniBrowser"))
FIREFOX = Path("/usr/bin/firefox-esr")
TIMEOUT_S = 90
MISSING = "{} is missing: run the README's test command (make test), which installs it"


class EngineMissing(RuntimeError):
    pass


@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    """An X display for WebKitGTK (no headless mode in Debian 12): $DISPLAY, or an Xvfb of our own."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise EngineMissing(MISSING.format("Xvfb"))
    number = 90 + os.getpid() % 100
    process = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise EngineMissing(f"Xvfb :{number} did not start")
            time.sleep(0.05)
        os.environ["DISPLAY"] = f":{number}"
        yield f":{number}"
    finally:
        os.environ.pop("DISPLAY", None)
        process.terminate()
        process.wait(timeout=10)


def launch(engine: str, passkeys: list | tuple = ()) -> tuple[object, Callable[[], None]]:
    """A fresh browser (new profile) of `engine`, as (driver, close); Firefox's authenticator holds
    `passkeys` (exported from another profile)."""
    if engine == "firefox":
        if not FIREFOX.exists():
            raise EngineMissing(MISSING.format("firefox-esr"))
        driver = MarionetteDriver(Firefox(FIREFOX, TIMEOUT_S), passkeys)
        return driver, driver.close
    if engine != "webkit":
        raise ValueError(f"unknown engine {engine!r}")
    if not (WEBKIT_DRIVER.exists() and MINIBROWSER.exists()):
        raise EngineMissing(MISSING.format("WebKitGTK's WebDriver"))
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
