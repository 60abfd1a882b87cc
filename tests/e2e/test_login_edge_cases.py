"""The login paths where something goes wrong or starts from nothing, from the dapp's side: a wrong
captcha, passkey prompts that time out or find no passkey, and a brand-new browser profile that
only has the passkey."""

from __future__ import annotations

from tests.e2e import canister
from tests.e2e.conftest import new_profile, swap_authenticator
from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity


def test_wrong_captcha_shows_a_new_one_and_says_so(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url()))
    login.popup.click("#registerButton", timeout=TIMEOUT)
    login.popup.fill("input#captchaInput", "b", timeout=TIMEOUT)  # the dummy captcha's answer is "a"
    login.popup.click("#confirmRegisterButton")

    message = login.popup.locator("[data-role=captcha-message]")
    message.wait_for(timeout=TIMEOUT)
    assert "not the right characters" in message.text_content()
    assert login.popup.locator("input#captchaInput").input_value() == ""  # a fresh screen to type into
    assert login.popup.get_attribute("[data-role=captcha-image]", "src").startswith("data:image/png;base64,")

    login.popup.fill("input#captchaInput", "a")
    login.popup.click("#confirmRegisterButton")
    number = int(login.popup.text_content("#userNumber", timeout=TIMEOUT))
    login.popup.click("#displayUserContinue")
    assert login.principal()
    assert len(canister.credentials(server, number)["credentials"]) == 1


def test_passkey_prompt_that_times_out_explains_and_retry_works(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url()))
    popup = login.popup
    swap_authenticator(popup, automaticPresenceSimulation=False)  # nobody touches the key
    popup.click("#registerButton", timeout=TIMEOUT)
    error = popup.locator("#errorContainer")
    error.wait_for(timeout=90_000)  # the page's WebAuthn timeout is 60 s
    assert "cancelled or timed out" in error.text_content()
    assert popup.locator("[data-role=error-detail]").text_content().count("NotAllowedError") == 1

    swap_authenticator(popup)
    popup.click("#displayErrorPrimary")  # retry: a new prompt, started by this click
    popup.fill("input#captchaInput", "a", timeout=TIMEOUT)
    popup.click("#confirmRegisterButton")
    number = int(popup.text_content("#userNumber", timeout=TIMEOUT))
    popup.click("#displayUserContinue")
    assert login.principal()
    assert len(canister.credentials(server, number)["credentials"]) == 1


def test_cancelled_sign_in_prompt_explains_and_retry_works(server, context):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    number = register_new_identity(first.popup)
    principal = first.principal()

    again = click_login(context, first.dapp)
    swap_authenticator(again.popup, with_passkeys=False)  # the prompt finds no passkey: NotAllowedError
    again.popup.click("#loginButton", timeout=TIMEOUT)
    again.popup.fill("#userNumberInput", str(number))
    again.popup.click("#userNumberContinue")
    again.popup.locator("#errorContainer").wait_for(timeout=TIMEOUT)
    assert "cancelled or timed out" in again.popup.text_content("#errorContainer")

    swap_authenticator(again.popup)
    again.popup.click("#displayErrorPrimary")
    again.popup.fill("#userNumberInput", str(number), timeout=TIMEOUT)
    again.popup.click("#userNumberContinue")
    assert again.principal() == principal


def test_new_browser_profile_signs_in_by_number_with_the_passkey(server, context, browser):
    first = click_login(context, open_dapp(context, server.dapp_url()))
    number = register_new_identity(first.popup)
    principal = first.principal()

    # Another profile: nothing remembered, only the passkey (as a synced passkey or a security key).
    fresh = new_profile(browser, context.__dict__["_ii_passkeys"])
    try:
        login = click_login(fresh, open_dapp(fresh, server.dapp_url()))
        assert login.popup.locator("[data-anchor-id]").count() == 0
        login.popup.click("#loginButton", timeout=TIMEOUT)
        login.popup.fill("#userNumberInput", str(number))
        login.popup.click("#userNumberContinue")
        assert login.principal() == principal
    finally:
        fresh.close()
