"""The page boots from a Pyodide memory snapshot it made itself on an earlier visit
(static/pyodide-snapshot.mjs), and boots the normal way when the snapshot is missing, stale,
tampered with or refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import wait_ready
from tests.e2e.dapp import click_login, open_dapp, register_new_identity

CACHE = "ii-pyodide-snapshot"
KEPT = "performance.getEntriesByName('pyodide-snapshot:kept').length > 0"
BOOT_PATH = "document.documentElement.dataset.pyodideBoot"
SNAPSHOT_KEY = "document.querySelector('script[data-snapshot-key]').dataset.snapshotKey"


def visit(context, url: str):
    page = context.new_page()
    page.goto(url)
    assert wait_ready(page) == "ready"
    return page


def keep_snapshot(context, url: str) -> None:
    """A first visit: the normal boot, then the snapshot kept once the page is ready."""
    page = visit(context, url)
    assert page.evaluate(BOOT_PATH) == "normal"
    page.wait_for_function(KEPT, timeout=120_000)
    page.close()


def cached_keys(page) -> list[str]:
    return page.evaluate("""async name => {
        const cache = await caches.open(name);
        return (await cache.keys()).map(r => new URL(r.url).pathname.split('/').pop());
    }""", CACHE)


def replace_snapshot(page, key: str, body_js: str, digest_of_body: bool) -> None:
    """Put `body_js` (a JS expression of the bytes) in the cache under `key`, with its own SHA-256
    or with the digest the entry had before (a tampered body)."""
    page.evaluate("""async ([name, key, bodyJs, ownDigest]) => {
        const cache = await caches.open(name);
        const request = new Request(new URL('/__pyodide-snapshot/' + key, location.origin));
        const old = await cache.match(request);
        const body = new Uint8Array(await (0, eval)(bodyJs));
        const hex = a => Array.from(new Uint8Array(a), b => b.toString(16).padStart(2, '0')).join('');
        const digest = ownDigest ? hex(await crypto.subtle.digest('SHA-256', body))
                                 : (old ? old.headers.get('x-snapshot-sha256') : '00');
        await cache.put(request, new Response(body, {headers: {'x-snapshot-sha256': digest}}));
    }""", [CACHE, key, body_js, digest_of_body])


def test_second_visit_boots_from_the_snapshot_with_no_outside_request(server, context):
    keep_snapshot(context, server.ii_url)
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(server.ii_url)
    assert wait_ready(page) == "ready"
    assert page.evaluate(BOOT_PATH) == "snapshot"
    assert page.locator("#registerButton").is_visible()
    assert hosts == {urlsplit(server.ii_url).netloc}
    # The flows the snapshot imported work: the modules of the first screen and the IC libraries.
    assert page.evaluate("performance.getEntriesByName('pyodide-boot:snapshot').length") == 1


def test_dapp_login_from_a_snapshot_booted_popup(server, context):
    keep_snapshot(context, server.ii_url)
    dapp = open_dapp(context, server.dapp_url())
    login = click_login(context, dapp)
    wait_ready(login.popup)
    assert login.popup.evaluate(BOOT_PATH) == "snapshot"
    register_new_identity(login.popup)
    principal = login.principal()
    assert principal and principal != "2vxsx-fae"


@pytest.mark.parametrize("change", ["tampered", "refused", "stale"])
def test_a_bad_snapshot_gives_the_normal_boot_and_a_new_snapshot(server, context, change):
    keep_snapshot(context, server.ii_url)
    page = context.new_page()
    page.goto(server.ii_url)
    wait_ready(page)
    key = page.evaluate(SNAPSHOT_KEY)
    if change == "tampered":      # a byte of the memory changed, the recorded digest kept
        replace_snapshot(page, key, """caches.open('ii-pyodide-snapshot')
            .then(c => c.match(new Request(new URL('/__pyodide-snapshot/' + document.querySelector(
                'script[data-snapshot-key]').dataset.snapshotKey, location.origin))))
            .then(r => r.arrayBuffer()).then(b => { new Uint8Array(b)[b.byteLength >> 1] ^= 0xff; return b; })""",
                         digest_of_body=False)
    elif change == "refused":     # digest right, but not a Pyodide snapshot: Pyodide refuses it
        replace_snapshot(page, key, "Promise.resolve(new Uint8Array(4096).fill(7).buffer)", digest_of_body=True)
    else:                         # kept for other code (an older app bundle): under another key
        page.evaluate("""async name => {
            const cache = await caches.open(name);
            const [request] = await cache.keys();
            const response = await cache.match(request);
            await cache.delete(request);
            await cache.put(new Request(new URL('/__pyodide-snapshot/0123456789abcdef', location.origin)), response);
        }""", CACHE)
    page.close()

    page = visit(context, server.ii_url)
    assert page.evaluate(BOOT_PATH) == "normal"
    assert page.locator("#registerButton").is_visible()
    page.wait_for_function(KEPT, timeout=120_000)
    assert cached_keys(page) == [key]  # the bad one is gone, a good one kept under the page's key
    page.close()
    assert visit(context, server.ii_url).evaluate(BOOT_PATH) == "snapshot"


def test_without_cache_storage_the_page_boots_the_normal_way(server, context):
    page = context.new_page()
    page.add_init_script("delete globalThis.caches")
    page.goto(server.ii_url)
    assert wait_ready(page) == "ready"
    assert page.evaluate(BOOT_PATH) == "normal"


def test_a_page_closed_once_ready_still_leaves_its_snapshot(server, context):
    """A dapp closes its popup as soon as it has the delegation, a second or so after the popup
    was ready: the snapshot is made by a service worker, which outlives the page that asked."""
    page = visit(context, server.ii_url)
    assert page.evaluate(BOOT_PATH) == "normal"
    page.wait_for_function("document.documentElement.dataset.pyodideSnapshotWorker")
    assert page.evaluate("document.documentElement.dataset.pyodideSnapshotWorker") == "service"
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 1
    key = page.evaluate(SNAPSHOT_KEY)
    page.close()
    probe = context.new_page()
    probe.goto(server.ii_url + "static/logo.svg")  # same origin; boots nothing
    for _ in range(240):
        if cached_keys(probe):
            break
        probe.wait_for_timeout(500)
    assert cached_keys(probe) == [key]
    probe.close()
    assert visit(context, server.ii_url).evaluate(BOOT_PATH) == "snapshot"


def test_without_service_workers_the_page_s_own_worker_makes_the_snapshot(server, context):
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'serviceWorker', {get: () => undefined})")
    page = visit(context, server.ii_url)
    assert page.evaluate(BOOT_PATH) == "normal"
    page.wait_for_function(KEPT, timeout=120_000)
    assert page.evaluate("document.documentElement.dataset.pyodideSnapshotWorker") == "dedicated"
    page.close()
    assert visit(context, server.ii_url).evaluate(BOOT_PATH) == "snapshot"
