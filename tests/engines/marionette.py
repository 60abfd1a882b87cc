"""Firefox over Marionette, its own remote protocol, straight to the browser (no geckodriver: Debian
does not package it and it cannot be downloaded here; PyPI's `marionette-driver` works but brings
sixteen packages of Mozilla's harness for the hundred lines below).

The protocol: a TCP stream of `<length>:<json>` frames; the browser first sends a hello, then every
command is `[0, id, name, params]` and its answer `[1, id, error, result]`. Names are WebDriver
classic's (`WebDriver:Navigate`, `WebDriver:ElementClick`, ...) and the WebDriver WebAuthn
extension's (`WebAuthn:AddVirtualAuthenticator`, `WebAuthn:AddCredential`, `WebAuthn:GetCredentials`,
`WebAuthn:SetUserVerified`, `WebAuthn:RemoveVirtualAuthenticator`).

Firefox keeps virtual authenticators in its one WebAuthn service: an authenticator belongs to the
browser (the profile), so every window and popup of it uses the same one. A second profile is a
second Firefox.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# Keep Firefox itself off the network and quiet (the page must need nothing but its own host).
PREFS = {
    "app.update.enabled": False, "app.update.auto": False, "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore", "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False, "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False, "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False, "extensions.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False, "browser.safebrowsing.phishing.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/", "browser.newtabpage.enabled": False,
    "network.proxy.type": 0, "network.dns.disablePrefetch": True, "network.prefetch-next": False,
    "browser.tabs.remote.separatePrivilegedMozillaWebContentProcess": False,
    # A popup opened by the page is a new window, as a dapp's II popup is.
    "browser.link.open_newwindow": 2, "dom.disable_open_during_load": True,
    # Marionette on a free port, written to <profile>/MarionetteActivePort.
    "marionette.port": 0,
    # The virtual authenticators of the WebDriver WebAuthn extension are Firefox's "soft token".
    "security.webauth.webauthn_enable_softtoken": True, "security.webauth.webauthn_enable_usbtoken": False,
}
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
WINDOW = "window-fcc6-11e5-b4f8-330a88ab9d7f"


class MarionetteError(RuntimeError):
    def __init__(self, command: str, error: dict):
        self.error = error.get("error", "")
        super().__init__(f"{command}: {self.error}: {error.get('message', '')}")


class Firefox:
    """One headless Firefox with a fresh profile, and a Marionette session on it."""

    def __init__(self, binary: Path, timeout_s: float = 90, size: tuple[int, int] = (1280, 1024)):
        self.timeout_s = timeout_s
        self.profile = Path(tempfile.mkdtemp(prefix="ii-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in PREFS.items()))
        self.log = self.profile / "firefox.log"  # a file, not a pipe: Firefox writes a lot to stderr
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(binary), "--headless", "--no-remote", "--marionette", "--profile", str(self.profile),
                 f"--width={size[0]}", f"--height={size[1]}"],
                stdout=subprocess.DEVNULL, stderr=log)
        self._ids = itertools.count(1)
        self._buffer = b""
        try:
            self.socket = self._connect()
            self.send("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {
                "acceptInsecureCerts": False, "timeouts": {"script": int(timeout_s * 1000)},
                "unhandledPromptBehavior": "dismiss"}}})
        except BaseException:
            self.close()
            raise

    def _connect(self) -> socket.socket:
        port_file = self.profile / "MarionetteActivePort"
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Firefox exited ({self.process.returncode}) before Marionette started:\n"
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text.isdigit():
                try:
                    sock = socket.create_connection(("127.0.0.1", int(text)), timeout=self.timeout_s)
                except OSError:
                    time.sleep(0.1)
                    continue
                self.socket = sock
                hello = self._receive()
                if hello.get("marionetteProtocol") != 3:
                    raise RuntimeError(f"unexpected Marionette hello {hello}")
                return sock
            time.sleep(0.1)
        raise RuntimeError("Firefox's Marionette did not start")

    # -- the wire ------------------------------------------------------------------------------

    def _receive(self) -> Any:
        while b":" not in self._buffer:
            self._read()
        length, _, rest = self._buffer.partition(b":")
        size = int(length)
        self._buffer = rest
        while len(self._buffer) < size:
            self._read()
        frame, self._buffer = self._buffer[:size], self._buffer[size:]
        return json.loads(frame)

    def _read(self) -> None:
        chunk = self.socket.recv(1 << 16)
        if not chunk:
            raise RuntimeError("Marionette closed the connection")
        self._buffer += chunk

    def send(self, command: str, params: dict | None = None) -> Any:
        message_id = next(self._ids)
        body = json.dumps([0, message_id, command, params or {}]).encode()
        self.socket.sendall(str(len(body)).encode() + b":" + body)
        while True:
            kind, answer_id, error, result = self._receive()
            if kind == 1 and answer_id == message_id:
                break
        if error:
            raise MarionetteError(command, error)
        if isinstance(result, dict) and set(result) == {"value"}:
            return result["value"]
        return result

    # -- WebDriver classic, the few commands the tests use ---------------------------------------

    def goto(self, url: str) -> None:
        self.send("WebDriver:Navigate", {"url": url})

    def js(self, expression: str, *args: Any) -> Any:
        return self.send("WebDriver:ExecuteScript", {"script": f"return ({expression})", "args": list(args)})

    def find(self, css: str) -> dict:
        return self.send("WebDriver:FindElement", {"using": "css selector", "value": css})

    def click(self, css: str) -> None:
        self.send("WebDriver:ElementClick", {"id": self.find(css)[ELEMENT]})

    def fill(self, css: str, value: str) -> None:
        element = self.find(css)[ELEMENT]
        self.send("WebDriver:ElementClear", {"id": element})
        self.send("WebDriver:ElementSendKeys", {"id": element, "text": value})

    def windows(self) -> list[str]:
        return self.send("WebDriver:GetWindowHandles")

    def switch(self, handle: str) -> None:
        self.send("WebDriver:SwitchToWindow", {"handle": handle, "focus": True})

    @property
    def current(self) -> str:
        return self.send("WebDriver:GetWindowHandle")

    def new_window(self) -> str:
        return self.send("WebDriver:NewWindow", {"type": "window", "focus": True})["handle"]

    def close_window(self) -> None:
        self.send("WebDriver:CloseWindow")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("WebDriver:TakeScreenshot", {"full": False})))

    # -- the WebDriver WebAuthn extension --------------------------------------------------------

    def add_authenticator(self, options: dict) -> str:
        return self.send("WebAuthn:AddVirtualAuthenticator", options)

    def remove_authenticator(self, authenticator: str) -> None:
        self.send("WebAuthn:RemoveVirtualAuthenticator", {"authenticatorId": authenticator})

    def credentials(self, authenticator: str) -> list[dict]:
        return self.send("WebAuthn:GetCredentials", {"authenticatorId": authenticator})

    def add_credential(self, authenticator: str, credential: dict) -> None:
        self.send("WebAuthn:AddCredential", {"authenticatorId": authenticator, "credentials": {
            "signCount": 0, **{k: credential[k] for k in (
                "credentialId", "isResidentCredential", "rpId", "privateKey", "userHandle", "signCount")
                if credential.get(k) is not None}}})

    def set_user_verified(self, authenticator: str, verified: bool) -> None:
        self.send("WebAuthn:SetUserVerified", {"authenticatorId": authenticator, "isUserVerified": verified})

    def close(self) -> None:
        try:
            if getattr(self, "socket", None) is not None:
                try:
                    self.send("Marionette:Quit", {"flags": ["eForceQuit"]})
                except (OSError, RuntimeError):
                    pass
                self.socket.close()
        finally:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
