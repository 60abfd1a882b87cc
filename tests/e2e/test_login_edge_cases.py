"""The login paths where something goes wrong or starts from nothing, from the dapp's side: a wrong
captcha, passkey prompts that time out or find no passkey, and a brand-new browser profile that
only has the passkey."""

from __future__ import annotations

from tests.e2e import canister
from tests.e2e.conftest import new_profile, swap_authenticator
from tests.e2e.dapp import click_login, open_dapp, register_new_identity


def test_wrong_captcha_shows_a_new_one_and_says_so(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url()))
    popup = login.ii
    popup.start_registration()
    popup.submit_captcha("b")  # the dummy captcha's answer is "a"

    assert "not the right characters" in popup.captcha_message()
    assert popup.driver.js("document.querySelector('input#captchaInput').value") == ""  # a fresh screen
    assert popup.attr("[data-role=captcha-image]", "src").startswith("data:image/png;base64,")

    number = popup.solve_captcha("a")
    assert login.principal()
    assert len(canister.credentials(server, number)["credentials"]) == 1


def test_passkey_prompt_that_times_out_explains_and_retry_works(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url()))
    popup = login.popup
    swap_authenticator(popup, automaticPresenceSimulation=False)  # nobody touches the key
    login.ii.start_registration()
    error = login.ii.text("#errorContainer")  # after the page's WebAuthn timeout, 60 s
    assert "cancelled or timed out" in error
    assert login.ii.text("[data-role=error-detail]").count("NotAllowedError") == 1

    swap_authenticator(popup)
    login.ii.retry()  # a new prompt, started by this click
    number = login.ii.solve_captcha("a")
    assert login.principal()
    assert len(canister.credentials(server, number)["credentials"]) == 1


def test_cancelled_sign_in_prompt_explains_and_retry_works(server, context):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    number = register_new_identity(first.popup)
    principal = first.principal()

    again = click_login(context, first.dapp)
    swap_authenticator(again.popup, with_passkeys=False)  # the prompt finds no passkey: NotAllowedError
    again.ii.sign_in_by_number(number)
    assert "cancelled or timed out" in again.ii.error()

    swap_authenticator(again.popup)
    again.ii.retry()
    again.ii.sign_in_by_number_form(number)
    assert again.principal() == principal


def test_new_browser_profile_signs_in_by_number_with_the_passkey(server, context, browser):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    number = register_new_identity(first.popup)
    principal = first.principal()

    # Another profile: nothing remembered, only the passkey (as a synced passkey or a security key).
    fresh = new_profile(browser, context.__dict__["_ii_passkeys"])
    try:
        login = click_login(fresh, open_dapp(fresh, server.dapp_url()))
        assert login.ii.count("[data-anchor-id]") == 0
        login.ii.sign_in_by_number(number)
        assert login.principal() == principal
    finally:
        fresh.close()
