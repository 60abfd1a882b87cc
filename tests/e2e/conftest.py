"""End-to-end fixtures: a real replica (`serve.py` in a subprocess, real SQLite file, real HTTP on
loopback) and Debian's Chromium driven by Playwright, with a CDP virtual authenticator on every
page, popups included."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("II_CHROMIUM", "/usr/bin/chromium"))
II_CANISTER_ID = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WHOAMI_CANISTER_ID = "qoctq-giaaa-aaaaa-aaaea-cai"
# Keep Chromium itself off the network (DESIGN section 3).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1",
]
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    output: Path

    @property
    def ii_url(self) -> str:
        return f"http://{II_CANISTER_ID}.localhost:{self.port}/"

    def dapp_url(self, page: str = "", host: str | None = None) -> str:
        """The whoami demo dapp: `page` "" (@dfinity/auth-client) or "icrc.html" (@icp-sdk/auth)."""
        host = host or f"{WHOAMI_CANISTER_ID}.localhost"
        return f"http://{host}:{self.port}/{page}"

    @property
    def ii_url_query(self) -> str:
        return f"http://localhost:{self.port}/?canisterId={II_CANISTER_ID}"

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def start_server(tmp: Path, *args: str, port: int | None = None) -> Server:
    port = port or free_port()
    output = tmp / f"serve-{port}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--db", str(tmp / "replica.sqlite3"), *args],
            cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    server = Server(port, process, output)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve.py exited with {process.returncode}:\n{server.log()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"serve.py did not answer within 30 s:\n{server.log()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    server = start_server(tmp_path_factory.mktemp("replica"), "--flavor", "test")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory) -> Server:
    """The dev flavor: dummy auth (no WebAuthn prompt) and dummy captcha."""
    server = start_server(tmp_path_factory.mktemp("replica-dev"), "--flavor", "dev")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command (make test), which installs it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def add_virtual_authenticator(context, page) -> str:
    """Give `page` its own virtual authenticator (once; the CDP authenticator is per page).

    Passkeys created on any page of the context are copied into every authenticator added later,
    so the context behaves like one browser profile with a platform authenticator: a popup opened
    tomorrow still finds the passkey created today.
    """
    known = context.__dict__.setdefault("_ii_authenticators", {})
    passkeys = context.__dict__.setdefault("_ii_passkeys", [])
    if page in known:  # claimed before the first await, so the "page" event and callers don't race
        return known[page]
    known[page] = None
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    page.__dict__["_ii_cdp"] = cdp
    known[page] = _new_authenticator(cdp, passkeys, VIRTUAL_AUTHENTICATOR)
    cdp.on("WebAuthn.credentialAdded", lambda event: passkeys.append(event["credential"]))
    return known[page]


def _new_authenticator(cdp, passkeys: list, options: dict) -> str:
    try:
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    except Exception as exc:  # Chromium allows one *internal* authenticator per browser context
        if "one internal authenticator" not in str(exc):
            raise
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator",
                                 {"options": {**options, "transport": "usb"}})["authenticatorId"]
    for credential in passkeys:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": credential})
    return authenticator


def swap_authenticator(page, *, with_passkeys: bool = True, **options) -> None:
    """Replace `page`'s virtual authenticator: without the profile's passkeys (a device that does not
    have them: the prompt fails with NotAllowedError at once) or with other options (for instance
    `automaticPresenceSimulation=False`: nobody touches the key, the prompt times out)."""
    context = page.context
    known, passkeys = context.__dict__["_ii_authenticators"], context.__dict__["_ii_passkeys"]
    cdp = page.__dict__["_ii_cdp"]
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": known[page]})
    known[page] = _new_authenticator(cdp, passkeys if with_passkeys else [], {**VIRTUAL_AUTHENTICATOR, **options})


def new_profile(browser, passkeys: list | tuple = ()):
    """A fresh browser profile (another device, or the same person's new browser): every page in
    it, popups included, gets a virtual authenticator holding `passkeys` and what it creates."""
    context = browser.new_context()
    context.__dict__["_ii_passkeys"] = list(passkeys)
    context.on("page", lambda page: add_virtual_authenticator(context, page))
    return context


@pytest.fixture
def context(browser):
    context = new_profile(browser)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    add_virtual_authenticator(context, page)
    return page


def wait_ready(page, timeout_ms: int = 60_000) -> str:
    page.wait_for_function("document.documentElement.dataset.appState !== 'loading'", timeout=timeout_ms)
    return page.evaluate("document.documentElement.dataset.appState")
