"""The II in Safari's engine (WebKitGTK) and Firefox: boot offline, the dummy-auth classic sequence
from both demo dapps (the replica accepts the delegation: whoami), and the authorize error screens.

Neither driver offers a virtual authenticator here (WebKitWebDriver has none; Firefox's BiDi agent
has no WebAuthn commands), so the passkey flows run in Chromium only (README, browser support)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.engines.drivers import (app_state, click_login, dapp_principal, open_dapp, open_popup_without_request,
                                   register_new_identity, text, wait)


@pytest.mark.parametrize("form", ["subdomain", "query"])
def test_page_boots_offline_to_ready(server, driver, form):
    """The test flavor: the production page's headers (its CSP), only the captcha is a dummy."""
    url = server.ii_url if form == "subdomain" else server.ii_url_query
    driver.goto(url)
    assert app_state(driver) == "ready"
    assert driver.js("document.title") == "Internet Identity"
    hosts = set(driver.js("performance.getEntriesByType('resource').map(e => new URL(e.name).host)"))
    assert hosts <= {urlsplit(url).netloc}


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icp-sdk-auth"])
def test_dummy_auth_classic_sequence(dev_server, driver, page):
    dapp = open_dapp(driver, dev_server.dapp_url(page))
    click_login(driver, dapp)
    assert register_new_identity(driver) >= 10000
    assert dapp_principal(driver, dapp)


def test_authorize_without_an_opener_explains(dev_server, driver):
    driver.goto(dev_server.ii_url + "#authorize")
    assert app_state(driver) == "ready"
    assert "dapp" in text(driver, "[data-role=failure-detail]")


def test_opener_that_never_asks_times_out(dev_server, driver):
    open_dapp(driver, dev_server.dapp_url())
    open_popup_without_request(driver, dev_server.ii_url + "#authorize")
    assert app_state(driver) == "ready"
    wait(lambda: "request" in text(driver, "#errorContainer").lower(), "the timeout screen")
