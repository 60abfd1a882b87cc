"""A dapp signs in through the II popup and its delegation is accepted by the replica (whoami)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_ready
from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity
from tests.pages import pick_identity


def test_dummy_auth_classic_sequence_legacy_client(dev_server, context):
    login = click_login(context, open_dapp(context, dev_server.dapp_url()))
    number = register_new_identity(login.popup)
    assert number >= 10000
    assert login.principal()


def test_new_user_with_a_passkey_then_returning_user_picks_the_remembered_identity(server, context):
    dapp = open_dapp(context, server.dapp_url())
    first = click_login(context, dapp)
    number = register_new_identity(first.popup)
    principal = first.principal()

    dapp.reload()
    dapp.wait_for_function("document.documentElement.dataset.dappReady === 'true'")
    again = click_login(context, dapp)
    pick_identity(again.ii, number)
    assert again.principal() == principal  # one origin, always the same principal


def test_sign_in_by_number_and_origins_get_different_principals(server, context):
    legacy = click_login(context, open_dapp(context, server.dapp_url()))
    number = register_new_identity(legacy.popup)
    principal = legacy.principal()

    # Another origin of the same dapp (the replica's ?canisterId= form), signing in by number.
    other = click_login(context, open_dapp(context, server.dapp_url(
        "?canisterId=qoctq-giaaa-aaaaa-aaaea-cai", host="localhost")))
    other.ii.sign_in_by_number(number)
    assert other.principal() != principal


def test_icrc_client(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url("icrc.html")))
    register_new_identity(login.popup)
    assert login.principal()


def test_authorize_without_an_opener_explains(server, page):
    page.goto(server.ii_url + "#authorize")
    assert wait_ready(page) == "ready"
    title = page.locator("[data-role=failure-title]")
    title.wait_for(timeout=TIMEOUT)
    assert "dapp" in page.locator("[data-role=failure-detail]").text_content()


@pytest.mark.parametrize("path", ["#authorize", "authorize"])
def test_opener_that_never_asks_times_out(server, context, path):
    opener = context.new_page()
    opener.goto(server.dapp_url())
    with context.expect_page(timeout=TIMEOUT) as popup:
        opener.evaluate("url => window.open(url, 'ii')", server.ii_url + path)
    page = popup.value
    assert wait_ready(page) == "ready"
    page.locator("[data-role=failure-title]").wait_for(timeout=30_000)  # after 10 s without a request
    assert "request" in page.locator("#errorContainer").text_content().lower()


@pytest.fixture(scope="module")
def alt_server(tmp_path_factory):
    """A replica whose whoami canister lets `http://localhost:<port>` derive principals for it."""
    from tests.e2e.conftest import free_port, start_server, stop_server

    port = free_port()
    server = start_server(tmp_path_factory.mktemp("replica-alt"), "--flavor", "dev",
                          "--whoami-alternative-origin", f"http://localhost:{port}", port=port)
    yield server
    stop_server(server)


def test_derivation_origin_allowed_and_refused(alt_server, context):
    whoami_origin = alt_server.dapp_url().rstrip("/")
    # The canonical origin's principal.
    home = click_login(context, open_dapp(context, alt_server.dapp_url()))
    number = register_new_identity(home.popup)
    canonical = home.principal()

    # A listed alternative origin deriving for the canonical one gets the same principal.
    listed = click_login(context, open_dapp(context, alt_server.dapp_url(
        f"?canisterId=qoctq-giaaa-aaaaa-aaaea-cai&derivationOrigin={whoami_origin}", host="localhost")))
    pick_identity(listed.ii, number)
    assert listed.principal() == canonical

    # An origin that is not listed is refused: the dapp is told why (auth-client then closes the
    # popup) and gets no delegation.
    refused = click_login(context, open_dapp(context, alt_server.dapp_url(
        f"?canisterId=qoctq-giaaa-aaaaa-aaaea-cai&derivationOrigin={whoami_origin}", host="127.0.0.1")),
        ready=False)
    refused.dapp.wait_for_selector("[data-tid=error]:not([hidden])", timeout=TIMEOUT)
    error = refused.dapp.text_content("[data-tid=error]")
    assert "127.0.0.1" in error and "login failed" in error
    assert refused.dapp.locator("[data-tid=principal]").is_hidden()


def test_auto_selection_principal_preselects_its_identity(dev_server, context):
    first = click_login(context, open_dapp(context, dev_server.dapp_url()))
    first_number = register_new_identity(first.popup)
    first_principal = first.principal()
    second = click_login(context, open_dapp(context, dev_server.dapp_url()))
    register_new_identity(second.popup)
    second.principal()

    again = click_login(context, open_dapp(context, dev_server.dapp_url(
        f"?autoSelectionPrincipal={first_principal}")))
    preselected = again.popup.locator("[data-preselected]")
    preselected.wait_for(timeout=TIMEOUT)
    assert preselected.get_attribute("data-anchor-id") == str(first_number)
    preselected.click()
    assert again.principal() == first_principal
