"""Firefox over WebDriver BiDi, straight to the browser's own remote agent (no geckodriver: it is
not packaged by Debian and cannot be downloaded here; Playwright 1.65's BiDi client needs commands
Firefox ESR 153 does not have).

Only what the engine tests use: navigate, evaluate (with user activation, so a click may open a
popup, as a person's click does), and the browsing contexts (windows).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shutil
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
    "dom.disable_open_during_load": True, "network.proxy.type": 0,
}
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")


class BidiError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox with a fresh profile, and a BiDi session on it."""

    def __init__(self, binary: Path, timeout_s: float = 90):
        from websockets.sync.client import connect

        self.timeout_s = timeout_s
        self.profile = Path(tempfile.mkdtemp(prefix="ii-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in PREFS.items()))
        self.log = self.profile / "firefox.log"  # a file, not a pipe: Firefox writes a lot to stderr
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(binary), "--headless", "--no-remote", "--remote-debugging-port=0", "--profile",
                 str(self.profile), "about:blank"], stdout=subprocess.DEVNULL, stderr=log)
        url = self._wait_listening()
        self._exit = contextlib.ExitStack()
        self.socket = self._exit.enter_context(connect(url + "/session", max_size=64 * 1024 * 1024,
                                                       open_timeout=timeout_s))
        self._ids = itertools.count(1)
        self.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
        self.current = self.contexts()[0]

    def _wait_listening(self) -> str:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            found = LISTENING.search(self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise BidiError(f"Firefox exited ({self.process.returncode}) before its remote agent started")
            time.sleep(0.1)
        raise BidiError("Firefox's remote agent did not start")

    def send(self, method: str, params: dict) -> dict:
        """One command; events that arrive meanwhile are dropped (the tests poll instead)."""
        command_id = next(self._ids)
        self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=self.timeout_s))
            if message.get("id") != command_id:
                continue
            if message.get("type") == "error":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    # -- windows -------------------------------------------------------------------------------

    def contexts(self) -> list[str]:
        return [c["context"] for c in self.send("browsingContext.getTree", {"maxDepth": 0})["contexts"]]

    def goto(self, url: str) -> None:
        self.send("browsingContext.navigate", {"context": self.current, "url": url, "wait": "complete"})

    # -- scripts -------------------------------------------------------------------------------

    def js(self, expression: str, *, user_activation: bool = False) -> Any:
        """The value of `expression` (awaited if it is a promise), as JSON-compatible data."""
        result = self.send("script.evaluate", {
            "expression": f"(async () => JSON.stringify(await ({expression})))()",
            "target": {"context": self.current}, "awaitPromise": True, "userActivation": user_activation})
        if result.get("type") == "exception":
            raise BidiError(result["exceptionDetails"].get("text", "script exception"))
        value = result["result"]
        return None if value.get("type") == "undefined" else json.loads(value["value"])

    def close(self) -> None:
        try:
            self._exit.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
