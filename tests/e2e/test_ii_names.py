"""The II at icp-cli's local names (issue 16 item 7): `http://id.ai.localhost:<port>` and the
frontend canister's `http://uqzsh-gqaaa-aaaaq-qaada-cai.localhost:<port>`.

A dapp's principal derives from the dapp's origin and the identity, never from the name the II
was opened at: the same identity gives the dapp the same principal through every name. A passkey
belongs to the name it was made at (its WebAuthn rp id is the page's host), so it does not open
the identity at another name.
"""

from __future__ import annotations

from urllib.parse import quote

from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity

FRONTEND = "uqzsh-gqaaa-aaaaq-qaada-cai"


def dapp_with_ii(server, ii_url: str, page: str = "") -> str:
    return server.dapp_url(page) + "?iiUrl=" + quote(ii_url, safe="")


def sign_in_by_number(popup, number: int) -> None:
    popup.click("#loginButton", timeout=TIMEOUT)
    popup.fill("#userNumberInput", str(number))
    popup.click("#userNumberContinue")


def test_a_dapp_gets_the_same_principal_through_every_ii_name(dev_server, context):
    first = click_login(context, open_dapp(context, dev_server.dapp_url()))
    assert first.popup.url.startswith(dev_server.ii_url)
    number = register_new_identity(first.popup)
    principal = first.principal()

    friendly = f"http://id.ai.localhost:{dev_server.port}/"
    via_friendly = click_login(context, open_dapp(context, dapp_with_ii(dev_server, friendly)))
    assert via_friendly.popup.url.startswith(friendly)
    assert via_friendly.popup.title() == "Internet Identity"
    sign_in_by_number(via_friendly.popup, number)
    assert via_friendly.principal() == principal

    frontend = f"http://{FRONTEND}.localhost:{dev_server.port}/"
    via_frontend = click_login(context, open_dapp(context, dapp_with_ii(dev_server, frontend, "icrc.html")))
    assert via_frontend.popup.url.startswith(frontend)
    sign_in_by_number(via_frontend.popup, number)
    assert via_frontend.principal() == principal


def test_a_passkey_made_at_id_ai_localhost_signs_in_there_only(server, context):
    friendly = f"http://id.ai.localhost:{server.port}/"
    first = click_login(context, open_dapp(context, dapp_with_ii(server, friendly)))
    number = register_new_identity(first.popup)  # the passkey's rp id: id.ai.localhost
    principal = first.principal()

    again = click_login(context, open_dapp(context, dapp_with_ii(server, friendly)))
    again.popup.click(f'[data-anchor-id="{number}"]', timeout=TIMEOUT)  # remembered at this name
    assert again.principal() == principal

    elsewhere = click_login(context, open_dapp(context, server.dapp_url()))  # the II at <rdmx6>.localhost
    assert not elsewhere.popup.locator(f'[data-anchor-id="{number}"]').count()  # storage is per name too
    sign_in_by_number(elsewhere.popup, number)
    elsewhere.popup.locator("#errorContainer").wait_for(timeout=TIMEOUT)
    assert "cancelled or timed out" in elsewhere.popup.text_content("#errorContainer")
