#!/usr/bin/env python3
"""Dapp login through the II popup, beside a bare Pyodide page boot measured in the same run.

Figures, medians of `--runs` (default 7), for a returning user with a passkey (CDP virtual
authenticator, the test flavor):
- click -> `authorize-ready` arrives at the dapp (the popup booted Python and speaks);
- click -> the dapp holds the delegation (`onSuccess` showed the principal).
"Cold" is a new browser profile (the passkey is present, the identity is typed by number); every
popup is clicked through at once, and the dapp closes it as soon as it has the delegation, as
@dfinity/auth-client does. "Warm" is a second login in the same profile by a returning user, who
comes back once the snapshot service worker has kept the memory snapshot of the first popup (printed:
how long after that popup closed); "warm, at once" is a second login started the moment the first
ended, while the snapshot may still be in the making. Each popup says how its Pyodide started
("snapshot": from the memory snapshot kept by an earlier II page of this profile; "normal": none
kept yet).

Usage: .venv/bin/python bench/login.py [--runs 7]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.boot import measure as measure_boot, start_bare_server  # noqa: E402
from tests.e2e.conftest import (CHROMIUM, CHROMIUM_ARGS, add_virtual_authenticator, start_server,  # noqa: E402
                                stop_server, wait_ready)
from tests.e2e.dapp import click_login, open_dapp, register_new_identity  # noqa: E402

# In the dapp: when the login button is clicked, when authorize-ready arrives, when the principal shows.
DAPP_PROBE = """
(() => {
  addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('[data-tid=login-button]')) window.__click = performance.now();
  }, true);
  addEventListener('message', (e) => {
    if (e.data && e.data.kind === 'authorize-ready' && window.__ready === undefined) window.__ready = performance.now();
  });
  new MutationObserver(() => {
    const p = document.querySelector('[data-tid=principal]');
    if (p && !p.hidden && window.__done === undefined) window.__done = performance.now();
  }).observe(document, { attributes: true, subtree: true, childList: true });
})();
"""


SNAPSHOT_KEPT = """async () => (await (await caches.open('ii-pyodide-snapshot')).keys()).length"""


def login_once(context, url: str, number: int, by_number: bool) -> tuple[float, float, str]:
    """One login, clicked through as soon as the popup is ready."""
    dapp = open_dapp(context, url)
    login = click_login(context, dapp)
    wait_ready(login.popup)
    path = login.popup.evaluate("document.documentElement.dataset.pyodideBoot || '-'")
    if by_number:
        login.popup.click("#loginButton")
        login.popup.fill("#userNumberInput", str(number))
        login.popup.click("#userNumberContinue")
    else:
        login.popup.click(f'[data-anchor-id="{number}"]')
    login.principal()
    click, ready, done = dapp.evaluate("[window.__click, window.__ready, window.__done]")
    dapp.close()
    return ready - click, done - click, path


def wait_for_snapshot(context, ii_url: str) -> float:
    """Milliseconds until this profile's Cache Storage holds a snapshot (looked at from a plain file
    of the II origin, which boots nothing)."""
    start = time.monotonic()
    probe = context.new_page()
    probe.goto(ii_url + "static/logo.svg")
    while not probe.evaluate(SNAPSHOT_KEPT):
        if time.monotonic() - start > 120:
            raise RuntimeError("no snapshot was kept within 120 s")
        probe.wait_for_timeout(100)
    probe.close()
    return (time.monotonic() - start) * 1000


def persistent(playwright, profile: str, passkeys: list):
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    context.__dict__["_ii_passkeys"] = passkeys
    context.on("page", lambda page: add_virtual_authenticator(context, page))
    context.add_init_script(DAPP_PROBE)
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ii-bench-login-") as tmp, sync_playwright() as playwright:
        server = start_server(Path(tmp), "--flavor", "test")
        bare_process = None
        try:
            url = server.dapp_url()
            passkeys: list = []
            setup_profile = tempfile.mkdtemp(dir=tmp)
            context = persistent(playwright, setup_profile, passkeys)
            number = register_new_identity(click_login(context, open_dapp(context, url)).popup)
            context.close()
            cold, warm, at_once, kept_after = [], [], [], []
            for _ in range(args.runs):
                profile = tempfile.mkdtemp(dir=tmp)
                context = persistent(playwright, profile, list(passkeys))
                cold.append(login_once(context, url, number, by_number=True))
                kept_after.append(wait_for_snapshot(context, server.ii_url))
                warm.append(login_once(context, url, number, by_number=False))
                context.close()
                shutil.rmtree(profile, ignore_errors=True)
                profile = tempfile.mkdtemp(dir=tmp)
                context = persistent(playwright, profile, list(passkeys))
                cold.append(login_once(context, url, number, by_number=True))
                at_once.append(login_once(context, url, number, by_number=False))
                context.close()
                shutil.rmtree(profile, ignore_errors=True)
            bare_process, bare_url = start_bare_server(Path(tmp))
            bare = measure_boot(playwright, bare_url, args.runs)
        finally:
            stop_server(server)
            if bare_process is not None:
                bare_process.terminate()
    bare_cold = statistics.median(s.ms for s in bare.cold)
    bare_warm = statistics.median(s.ms for s in bare.warm)
    print(f"Dapp login through the II popup, median of {args.runs} runs (Chromium, headless, loopback)")
    print(f"{'':34}{'cold ms':>10}{'warm ms':>10}{'warm, at once ms':>18}")
    for name, index in (("click -> authorize-ready", 0), ("click -> delegation received", 1)):
        print(f"{name:34}{statistics.median(c[index] for c in cold):10.0f}"
              f"{statistics.median(w[index] for w in warm):10.0f}"
              f"{statistics.median(w[index] for w in at_once):18.0f}")
    print(f"{'bare Pyodide boot (baseline)':34}{bare_cold:10.0f}{bare_warm:10.0f}")
    print(f"the first popup's snapshot was kept {statistics.median(kept_after):.0f} ms after that popup closed "
          f"(median; max {max(kept_after):.0f} ms)")
    for name, samples in (("cold", cold), ("warm", warm), ("warm, at once", at_once)):
        paths = [s[2] for s in samples]
        print(f"popup boot path, {name}: " + ", ".join(f"{p} x{paths.count(p)}" for p in sorted(set(paths))))
    for name, samples in (("warm", warm), ("warm, at once", at_once)):
        ready = statistics.median(w[0] for w in samples)
        done = statistics.median(w[1] for w in samples)
        print(f"{name}: authorize-ready = {ready / bare_warm:.2f}x bare boot (aim <= 1.0x); "
              f"whole login = bare boot {done - bare_warm:+.0f} ms (aim <= +500 ms)")

if __name__ == "__main__":
    main()
