"""Safari's engine (WebKitGTK): boot offline, the dummy-auth classic sequence from the demo dapps
(legacy and ICRC clients), and the authorize error screens.

WebKitWebDriver implements no virtual authenticator, so the passkey flows run in Chromium only
(README, browser support)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.engines.webdriver_dapp import app_state, click_login, dapp_principal, open_dapp, register_new_identity, text

pytestmark = pytest.mark.webkit


@pytest.mark.parametrize("form", ["subdomain", "query"])
def test_page_boots_offline_to_ready(dev_server, webkit, form):
    url = dev_server.ii_url if form == "subdomain" else dev_server.ii_url_query
    webkit.get(url)
    assert app_state(webkit) == "ready"
    assert webkit.title == "Internet Identity"
    hosts = set(webkit.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).host)"))
    assert hosts <= {urlsplit(url).netloc}


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icp-sdk-auth"])
def test_dummy_auth_classic_sequence(dev_server, webkit, page):
    dapp = open_dapp(webkit, dev_server.dapp_url(page))
    click_login(webkit, dapp)
    assert register_new_identity(webkit) >= 10000
    assert dapp_principal(webkit, dapp)


def test_authorize_without_an_opener_explains(dev_server, webkit):
    webkit.get(dev_server.ii_url + "#authorize")
    assert app_state(webkit) == "ready"
    assert "dapp" in text(webkit, "[data-role=failure-detail]")


def test_opener_that_never_asks_times_out(dev_server, webkit):
    webkit.get(dev_server.dapp_url())
    before = set(webkit.window_handles)
    webkit.execute_script("window.open(arguments[0], 'ii')", dev_server.ii_url + "#authorize")
    (popup,) = set(webkit.window_handles) - before
    webkit.switch_to.window(popup)
    assert app_state(webkit) == "ready"
    assert "request" in text(webkit, "[data-role=failure-title]").lower() + \
        text(webkit, "#errorContainer").lower()
