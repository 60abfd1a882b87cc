"""The page boots Python offline, refuses framing, and reports a runtime that cannot start."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import wait_ready


@pytest.mark.parametrize("form", ["subdomain", "query"])
def test_page_reaches_ready_with_no_outside_request(server, page, form):
    url = server.ii_url if form == "subdomain" else server.ii_url_query
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(url)
    assert wait_ready(page) == "ready"
    assert page.title() == "Internet Identity"
    assert page.locator("#registerButton").is_visible()
    assert page.locator("#loginButton").is_visible()
    assert page.locator("#recoverButton").is_visible()
    assert hosts == {urlsplit(url).netloc}


def test_page_refuses_to_be_framed(server, context):
    framer = context.new_page()
    blocked: list[str] = []
    framer.on("console", lambda message: blocked.append(message.text))
    # An origin of its own (not the II origin) that embeds the II page.
    framer.goto(f"http://localhost:{server.port}/")
    framer.evaluate("""url => new Promise(resolve => {
        const frame = document.createElement('iframe');
        frame.src = url; frame.onload = resolve; document.body.appendChild(frame);
        setTimeout(resolve, 5000);
    })""", server.ii_url)
    frame = framer.frames[1]
    # A refused frame is an error page: none of the II page's content is in it.
    assert frame.evaluate("document.title") != "Internet Identity"
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in blocked), blocked


@pytest.mark.parametrize("missing", ["pyodide.asm.wasm", "pyodide.mjs", "core.js", "app.zip"])
def test_missing_runtime_file_shows_an_error(server, page, missing):
    page.route(f"**/{missing}", lambda route: route.fulfill(status=404, body="missing"))
    page.goto(server.ii_url)
    assert wait_ready(page) == "error"
    message = page.locator("#bootError")
    assert message.is_visible()
    assert missing in message.text_content()


def test_no_webassembly_shows_an_error(server, page):
    # What a browser with WebAssembly turned off (lockdown modes, JIT disabled by policy) looks like.
    page.add_init_script("delete globalThis.WebAssembly")
    page.goto(server.ii_url)
    assert wait_ready(page) == "error"
    assert "WebAssembly is not available" in page.locator("#bootError").text_content()
