"""Behaviours of issue 15 item 7, in the browser: resetting the recovery phrase one is signed in
with, forgetting a remembered identity, and `autoSelectionPrincipal` starting the passkey prompt."""

from __future__ import annotations

import json

from tests.e2e import canister
from tests.e2e.conftest import new_profile, wait_ready
from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity
from tests.e2e.test_manage import PASSKEYS, create_identity, wait_message
from tests.e2e.test_recovery import add_phrase, confirm_shown_phrase, phrase_key


def test_resetting_the_phrase_signed_in_with_keeps_the_manage_page(dev_server, page, browser):
    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)

    fresh = new_profile(browser)
    try:
        other = fresh.new_page()
        other.goto(dev_server.ii_url)
        assert wait_ready(other) == "ready"
        other.click("#recoverButton", timeout=TIMEOUT)
        other.click("#recoverWithPhrase", timeout=TIMEOUT)
        other.fill("#recoveryPhraseInput", f"{number} " + " ".join(words), timeout=TIMEOUT)
        other.click("#recoveryPhraseContinue")
        other.click("[data-page=pick-alias] [data-action=back]", timeout=TIMEOUT)  # no passkey here: "Not now"
        other.wait_for_selector(PASSKEYS, timeout=TIMEOUT)

        other.click("aside[data-role=recoveries] [data-action^=reset]")
        other.wait_for_selector("[data-role=seed-word]", timeout=TIMEOUT)
        new = confirm_shown_phrase(other)
        wait_message(other, "new recovery phrase is saved")
        assert other.locator("#errorContainer").count() == 0
        assert [bytes(k) for k in canister.credentials(dev_server, number)["recovery_phrases"]] == \
            [phrase_key(new).public_key_der()]
        # still signed in, now as the new phrase: another change goes through
        other.click(f"{PASSKEYS} [data-action^=rename]")
        other.fill("#pickAliasInput", "Renamed after the reset", timeout=TIMEOUT)
        other.click("#pickAliasSubmit")
        wait_message(other, "Renamed")
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
    again.popup.wait_for_selector(f'[data-anchor-id="{number}"]', timeout=TIMEOUT)
    assert number in remembered_numbers(again.popup)
    again.popup.click("[data-role=forget-identities] summary")
    again.popup.click(f'[data-action="forget-{number}"]')
    again.popup.wait_for_selector(f'[data-anchor-id="{number}"]', state="detached", timeout=TIMEOUT)
    assert number not in remembered_numbers(again.popup)
    assert again.popup.locator("#registerButton").is_visible()  # still the authorize screen
    assert canister.credentials(dev_server, number)["credentials"]  # the identity itself is kept


def test_auto_selection_principal_starts_the_passkey_prompt(server, context):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    register_new_identity(first.popup)
    principal = first.principal()

    again = click_login(context, open_dapp(context, server.dapp_url(f"?autoSelectionPrincipal={principal}")))
    assert again.principal() == principal  # no click: the prompt started, the authenticator answered
