"""The II in Firefox and Safari's engine (WebKitGTK): boot offline, the dummy-auth classic sequence
from both demo dapps (the replica accepts the delegation: whoami), and the authorize error screens.
Chromium runs the same checks in tests/e2e (test_boot.py, test_authorize.py); the passkey flows of
every engine are in test_identity_flows.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.engines.drivers import app_state, text, wait
from tests.pages import II, Dapp

pytestmark = pytest.mark.parametrize("engine", ["firefox", "webkit"])


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
    dapp = Dapp(driver).open(dev_server.dapp_url(page))
    assert dapp.login().create_identity() >= 10000
    assert dapp.principal()


def test_authorize_without_an_opener_explains(dev_server, driver):
    II(driver).open(dev_server.ii_url + "#authorize")
    assert "dapp" in text(driver, "[data-role=failure-detail]")


def test_opener_that_never_asks_times_out(dev_server, driver):
    Dapp(driver).open(dev_server.dapp_url())
    before = set(driver.windows())
    driver.open_window(dev_server.ii_url + "#authorize")
    (popup,) = wait(lambda: set(driver.windows()) - before, "the II window")
    driver.switch(popup)
    assert app_state(driver) == "ready"
    wait(lambda: "request" in text(driver, "#errorContainer").lower(), "the timeout screen")
