#!/usr/bin/env python3
"""Boot time of the II page beside a bare Pyodide page, measured in the same run.

For each of `--runs` rounds: a new Chromium profile visits the page (cold), then visits it again
in the same persistent profile (warm), after the cold visit's page has kept its Pyodide memory
snapshot (static/pyodide-snapshot.mjs), so the warm visit boots from it; a third visit with the
snapshot deleted (warm, normal boot) is the same warm page without it, measured in the same run;
and (Chromium) a cold visit in a profile without Cache Storage, which makes no snapshot: what a
first visit cost before snapshots, to see that making one does not slow a first visit. The figure is the time from navigation start to
`data-app-state="ready"` (read from `performance.now()` in the page when the attribute flips), and
the bytes on the wire (CDP `Network.loadingFinished` encoded lengths, headers included).

The baseline is a bare page that loads the same vendored Pyodide from a plain static server
(`python -m http.server`: no compression, ordinary heuristic caching) and runs `1+1`.

Usage: .venv/bin/python bench/boot.py [--runs 7] [--engine chromium|webkit|firefox] [--page-only | --bare-only]

`--engine webkit|firefox` drives WebKitGTK or Firefox ESR over WebDriver (tests/engines/launch.py):
cold is a new browser profile, warm the same page again in it; the time is the page's own
`app-state:ready` performance mark, the bytes what Resource Timing reports (WebKit: none).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
PYODIDE_DIR = next((ROOT / "static" / "vendor").glob("pyodide-*"), None)

# Records when the page flips to ready (or error), relative to navigation start.
READY_PROBE = """
(() => {
  const record = () => {
    const root = document.documentElement;
    const state = root && root.dataset.appState;
    if ((state === 'ready' || state === 'error') && window.__bootMs === undefined) {
      window.__bootMs = performance.now();
      window.__bootState = state;
    }
  };
  new MutationObserver(record).observe(document, { attributes: true, subtree: true,
                                                   attributeFilter: ['data-app-state'] });
})();
"""

BARE_PAGE = """<!doctype html>
<html data-app-state="loading"><head><meta charset="utf-8"><title>bare pyodide</title></head>
<body><script type="module">
import { loadPyodide } from "./pyodide/pyodide.mjs";
const pyodide = await loadPyodide({ indexURL: "./pyodide/" });
pyodide.runPython("1+1");
document.documentElement.dataset.appState = "ready";
performance.mark("app-state:ready");
</script></body></html>
"""


@dataclass
class Sample:
    ms: float
    bytes: int
    path: str = ""  # how Pyodide started: "snapshot" or "normal" (the II page's marker)


@dataclass
class Series:
    cold: list[Sample] = field(default_factory=list)
    warm: list[Sample] = field(default_factory=list)
    warm_normal: list[Sample] = field(default_factory=list)
    cold_no_worker: list[Sample] = field(default_factory=list)


# The II page keeps its snapshot a few seconds after it is ready; the bare page has none.
SNAPSHOT_SETTLED = """!document.querySelector('script[data-snapshot-key]')
  || document.documentElement.dataset.pyodideBoot === 'snapshot'
  || performance.getEntriesByName('pyodide-snapshot:kept').length > 0
  || performance.getEntriesByName('pyodide-snapshot:failed').length > 0"""
# How the page booted, and which worker made its snapshot after a normal boot.
BOOT_PATH = """(() => { const d = document.documentElement.dataset;
  return [d.pyodideBoot, d.pyodideSnapshotWorker && `snapshot by a ${d.pyodideSnapshotWorker} worker`]
    .filter(Boolean).join(', '); })()"""
NO_CACHE_STORAGE = "delete globalThis.caches"
DROP_SNAPSHOT = "typeof caches === 'undefined' ? null : caches.delete('ii-pyodide-snapshot')"


def wait_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def start_page_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--port", str(port),
                                "--db", str(tmp / "bench.sqlite3"), "--flavor", "test"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/", process)
    return process, f"http://{II}.localhost:{port}/"


def start_bare_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    site = tmp / "bare"
    site.mkdir()
    (site / "index.html").write_text(BARE_PAGE)
    os.symlink(PYODIDE_DIR, site / "pyodide")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(site)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/", process)
    return process, f"http://localhost:{port}/"


ENGINE_NAMES = {"chromium": "Chromium, headless", "webkit": "WebKitGTK on Xvfb", "firefox": "Firefox ESR, headless"}


def visit(context, url: str, settle: bool = False) -> Sample:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received: list[int] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(int(event["encodedDataLength"])))
    page.goto(url)
    page.wait_for_function("window.__bootMs !== undefined", timeout=120_000)
    ms, state = page.evaluate("[window.__bootMs, window.__bootState]")
    if state != "ready":
        raise SystemExit(f"{url} reached {state!r}, not ready")
    page.wait_for_timeout(200)  # let the last loadingFinished events arrive
    if settle:
        page.wait_for_function(SNAPSHOT_SETTLED, timeout=120_000)
    path = page.evaluate(BOOT_PATH)
    page.close()
    return Sample(ms, sum(received), path)


def measure(playwright, url: str, runs: int, first_visit_baseline: bool = False) -> Series:
    series = Series()
    for _ in range(runs):
        profile = tempfile.mkdtemp(prefix="ii-bench-profile-")
        try:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            context.add_init_script(READY_PROBE)
            series.cold.append(visit(context, url, settle=True))
            series.warm.append(visit(context, url))
            page = context.new_page()
            page.goto(url + "static/logo.svg")  # the same origin, without booting the page
            page.evaluate(DROP_SNAPSHOT)
            page.close()
            series.warm_normal.append(visit(context, url))
            context.close()
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        if not first_visit_baseline:
            continue
        # A first visit that makes no snapshot (no Cache Storage): what a first visit cost before.
        profile = tempfile.mkdtemp(prefix="ii-bench-profile-")
        try:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            context.add_init_script(READY_PROBE)
            context.add_init_script(NO_CACHE_STORAGE)
            series.cold_no_worker.append(visit(context, url))
            context.close()
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    return series


# In the WebDriver engines: the page's own mark of the moment it became ready (app/browser/dom.py),
# and the bytes the Resource Timing API reports (WebKit reports none: shown as 0).
MARK = "(performance.getEntriesByName('app-state:ready')[0] || {}).startTime"
TRANSFERRED = "performance.getEntriesByType('resource').reduce((n, e) => n + (e.transferSize || 0), 0)"


def visit_webdriver(driver, url: str, settle: bool = False) -> Sample:
    from tests.engines.drivers import wait

    driver.goto(url)
    ms = wait(lambda: driver.js(MARK), f"{url} to be ready", timeout_s=180)
    navigation = driver.js("(performance.getEntriesByType('navigation')[0] || {}).transferSize || 0")
    transferred = int(driver.js(TRANSFERRED)) + int(navigation)
    if settle:
        wait(lambda: driver.js(SNAPSHOT_SETTLED), f"{url} to keep its snapshot", timeout_s=180)
    return Sample(float(ms), transferred, driver.js(BOOT_PATH) or "")


def measure_webdriver(engine: str, url: str, runs: int) -> Series:
    """Cold: a new browser profile; warm: the same page again in that browser."""
    from tests.engines.launch import launch

    series = Series()
    for _ in range(runs):
        driver, close = launch(engine)
        try:
            series.cold.append(visit_webdriver(driver, url, settle=True))
            driver.goto("about:blank")
            series.warm.append(visit_webdriver(driver, url))
            driver.js(DROP_SNAPSHOT)
            driver.goto("about:blank")
            series.warm_normal.append(visit_webdriver(driver, url))
        finally:
            close()
    return series


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.ms for s in samples), int(statistics.median(s.bytes for s in samples)))


def report(page: Series | None, bare: Series | None, runs: int, engine: str = "chromium") -> None:
    print(f"Boot to ready, median of {runs} runs ({ENGINE_NAMES[engine]}, loopback)")
    print(f"{'':14}{'cold ms':>10}{'cold bytes':>14}{'warm ms':>10}{'warm bytes':>14}"
          f"{'warm, normal boot ms':>22}")
    rows = {}
    for name, series in (("II page", page), ("bare Pyodide", bare)):
        if series is None:
            continue
        cold, warm = median(series.cold), median(series.warm)
        normal = median(series.warm_normal) if series.warm_normal else None
        rows[name] = (cold, warm, normal)
        print(f"{name:14}{cold.ms:10.0f}{cold.bytes:14,}{warm.ms:10.0f}{warm.bytes:14,}"
              f"{normal.ms if normal else float('nan'):22.0f}")
    if page is not None and page.cold_no_worker:
        first = median(page.cold_no_worker)
        print(f"II page, cold, no snapshot made (no Cache Storage): {first.ms:.0f} ms, {first.bytes:,} bytes "
              f"(the cold visit above makes one: {median(page.cold).ms / first.ms:.2f}x)")
    if page is not None:
        paths = lambda samples: ",".join(sorted({s.path or "-" for s in samples}))  # noqa: E731
        print(f"II page boot path: cold {paths(page.cold)}; warm {paths(page.warm)}; "
              f"warm, normal boot {paths(page.warm_normal)}")
    if len(rows) == 2:
        (pc, pw, pn), (bc, bw, _) = rows["II page"], rows["bare Pyodide"]
        print(f"{'ratio':14}{pc.ms / bc.ms:10.2f}{pc.bytes / bc.bytes:14.2f}"
              f"{pw.ms / bw.ms:10.2f}{pw.bytes / max(bw.bytes, 1):14.2f}"
              f"{pn.ms / bw.ms if pn else float('nan'):22.2f}")
        print("targets (Chromium): warm <= 1.0x bare; cold <= 1.2x bare and <= 6.5 MB")
    print(json.dumps({name: {"cold_ms": c.ms, "cold_bytes": c.bytes, "warm_ms": w.ms, "warm_bytes": w.bytes,
                             "warm_normal_ms": n.ms if n else None}
                      for name, (c, w, n) in rows.items()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--engine", choices=sorted(ENGINE_NAMES), default="chromium")
    parser.add_argument("--page-only", action="store_true")
    parser.add_argument("--bare-only", action="store_true")
    args = parser.parse_args()
    if PYODIDE_DIR is None:
        raise SystemExit("static/vendor is missing: run `python3 tools/setup.py` first")
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ii-bench-")))
        if args.engine == "chromium":
            from playwright.sync_api import sync_playwright

            playwright = stack.enter_context(sync_playwright())
            measure_one = lambda url, first=False: measure(playwright, url, args.runs, first)  # noqa: E731
        else:
            from tests.engines.launch import virtual_display

            stack.enter_context(virtual_display())
            measure_one = lambda url, first=False: measure_webdriver(args.engine, url, args.runs)  # noqa: E731
        servers = []
        try:
            page = bare = None
            if not args.bare_only:
                process, url = start_page_server(tmp)
                servers.append(process)
                page = measure_one(url, True)
            if not args.page_only:
                process, url = start_bare_server(tmp)
                servers.append(process)
                bare = measure_one(url)
        finally:
            for process in servers:
                process.terminate()
                process.wait(timeout=10)
    report(page, bare, args.runs, args.engine)


if __name__ == "__main__":
    main()
