"""Behaviours of issue 15 item 7, in the browser: resetting the recovery phrase one is signed in
with, forgetting a remembered identity, and `autoSelectionPrincipal` starting the passkey prompt.
Through the page objects of tests/pages.py."""

from __future__ import annotations

import json

from tests.e2e import canister
from tests.e2e.conftest import new_profile
from tests.e2e.dapp import click_login, open_dapp, register_new_identity
from tests.e2e.test_manage import create_identity
from tests.e2e.test_recovery import add_phrase, fresh_ii, phrase_key
from tests.pages import PASSKEYS


def test_resetting_the_phrase_signed_in_with_keeps_the_manage_page(dev_server, page, browser):
    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)

    fresh = new_profile(browser)
    try:
        other = fresh_ii(fresh, dev_server.ii_url)
        other.recover_with_phrase(number, words)
        view = other.name_this_device(None)  # no passkey here: "Not now"

        view.recovery_action("reset")
        new = view.shown_phrase()
        view.confirm_shown_phrase(new)
        view.message("new recovery phrase is saved")
        assert view.count("#errorContainer") == 0
        assert [bytes(k) for k in canister.credentials(dev_server, number)["recovery_phrases"]] == \
            [phrase_key(new).public_key_der()]
        # still signed in, now as the new phrase: another change goes through
        view.click(f"{PASSKEYS} [data-action^=rename]")
        view.fill("#pickAliasInput", "Renamed after the reset")
        view.retry_alias()
        view.message("Renamed")
    finally:
        fresh.close()


def remembered_numbers(page) -> list[int]:
    raw = page.evaluate("localStorage.getItem('ii-remembered-anchors')")
    return [a["number"] for a in json.loads(raw)["anchors"]] if raw else []


def test_a_remembered_identity_can_be_forgotten_on_this_device(dev_server, context):
    first = click_login(context, open_dapp(context, dev_server.dapp_url()))
    number = register_new_identity(first.popup)
    first.principal()

    again = click_login(context, open_dapp(context, dev_server.dapp_url()))
    again.ii.wait_for(f'[data-anchor-id="{number}"]')
    assert number in remembered_numbers(again.popup)
    again.ii.forget(number)
    again.popup.wait_for_selector(f'[data-anchor-id="{number}"]', state="detached")
    assert number not in remembered_numbers(again.popup)
    assert again.ii.visible("#registerButton")  # still the authorize screen
    assert canister.credentials(dev_server, number)["credentials"]  # the identity itself is kept


def test_auto_selection_principal_starts_the_passkey_prompt(server, context):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    register_new_identity(first.popup)
    principal = first.principal()

    again = click_login(context, open_dapp(context, server.dapp_url(f"?autoSelectionPrincipal={principal}")))
    assert again.principal() == principal  # no click: the prompt started, the authenticator answered
