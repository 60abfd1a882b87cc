"""The manage page after signing in at `/`: list, add, rename, remove, sign out; each change checked
in the canister (tests/e2e/canister.py), not only on the screen."""

from __future__ import annotations

from tests.e2e import canister
from tests.e2e.conftest import swap_authenticator, wait_ready
from tests.e2e.dapp import TIMEOUT

PASSKEYS = "aside[data-role=passkeys] li[data-device]"


def create_identity(page, url: str) -> int:
    """Landing page -> #registerButton -> captcha -> number -> manage page."""
    page.goto(url)
    assert wait_ready(page) == "ready"
    page.click("#registerButton", timeout=TIMEOUT)
    page.fill("input#captchaInput", "a", timeout=TIMEOUT)
    page.click("#confirmRegisterButton")
    number = int(page.text_content("#userNumber", timeout=TIMEOUT))
    page.click("#displayUserContinue")
    page.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
    return number


def wait_message(page, text: str) -> None:
    try:
        page.wait_for_selector(f"[data-role=manage-message]:has-text('{text}')", timeout=TIMEOUT)
    except Exception as exc:
        raise AssertionError(f"no message {text!r}; the page shows: {page.inner_text('#app')}") from exc


def test_passkeys_listed_added_renamed_and_removed(server, page):
    number = create_identity(page, server.ii_url)
    assert page.text_content("[data-role=anchor]") == str(number)
    assert page.locator(PASSKEYS).count() == 1
    assert page.locator("[data-role=current-device]").count() == 1

    page.click("#addAdditionalDevice")
    page.click("#addThisDevice", timeout=TIMEOUT)
    page.fill("#pickAliasInput", "Laptop", timeout=TIMEOUT)
    page.click("#pickAliasSubmit")  # this authenticator has a passkey of the identity already
    page.wait_for_selector("[data-page=pick-alias] [data-role=manage-message]:has-text('already has a passkey')",
                           timeout=TIMEOUT)
    swap_authenticator(page, with_passkeys=False)  # another authenticator (a security key)
    page.click("#pickAliasSubmit")
    wait_message(page, "was added")
    assert page.locator(PASSKEYS).count() == 2
    assert len(canister.credentials(server, number)["credentials"]) == 2

    page.click("aside[data-role=passkeys] li[data-device='Laptop'] [data-action^=rename]")
    page.fill("#pickAliasInput", "Work laptop", timeout=TIMEOUT)
    page.click("#pickAliasSubmit")
    wait_message(page, "Renamed")
    assert page.locator("li[data-device='Work laptop']").count() == 1

    page.click("li[data-device='Work laptop'] [data-action^=remove]")
    page.fill("#confirmRemoveDeviceAlias", "Laptop", timeout=TIMEOUT)
    page.click("#confirmRemoveDeviceButton")
    page.wait_for_selector("[data-page=confirm-remove-device-page] [data-role=manage-message]", timeout=TIMEOUT)
    assert len(canister.credentials(server, number)["credentials"]) == 2  # a wrong name removes nothing

    page.fill("#confirmRemoveDeviceAlias", "Work laptop")
    page.click("#confirmRemoveDeviceButton")
    wait_message(page, "was removed")
    assert page.locator(PASSKEYS).count() == 1
    assert len(canister.credentials(server, number)["credentials"]) == 1

    page.click("#logoutButton")
    page.wait_for_selector("#registerButton", timeout=TIMEOUT)

    # The removed passkey is still in its authenticator; signing in with it is refused, clearly.
    page.click("#loginButton")
    page.click("[data-role=continue-with-passkey]", timeout=TIMEOUT)
    assert "does not belong to any Internet Identity" in page.text_content("#errorContainer", timeout=TIMEOUT)


def test_removing_the_device_in_use_signs_out_and_aliases_reach_the_canister(dev_server, page):
    number = create_identity(page, dev_server.ii_url)
    page.click("#addAdditionalDevice")
    page.click("#addThisDevice", timeout=TIMEOUT)
    page.fill("#pickAliasInput", "Phone", timeout=TIMEOUT)
    page.click("#pickAliasSubmit")
    wait_message(page, "was added")
    info = canister.anchor_info(dev_server, number, canister.dummy_identity(dev_server, number))
    assert sorted(d.alias for d in info.passkeys) == ["Passkey", "Phone"]

    current = page.get_attribute("li:has([data-role=current-device])", "data-device")
    page.click(f"li[data-device='{current}'] [data-action^=remove]")
    assert "signs you out" in page.text_content("[data-page=confirm-remove-device-page]", timeout=TIMEOUT)
    page.fill("#confirmRemoveDeviceAlias", current)
    page.click("#confirmRemoveDeviceButton")
    page.click("#manageNoticeContinue", timeout=TIMEOUT)
    page.wait_for_selector("#registerButton", timeout=TIMEOUT)
    assert len(canister.credentials(dev_server, number)["credentials"]) == 1


def test_passkey_limit_is_explained_before_any_prompt(dev_server, page):
    from app.canister.devices import MAX_PASSKEYS, Device
    from ic.agent import Ed25519Identity

    number = create_identity(page, dev_server.ii_url)
    client = canister.client(dev_server, canister.dummy_identity(dev_server, number))
    for n in range(MAX_PASSKEYS - 1):
        key = Ed25519Identity.generate()
        canister.run(client.add_device(number, Device(pubkey=key.public_key_der(), alias=f"Key {n}",
                                                      credential_id=bytes([n + 1]) * 16, key_type="cross_platform")))
    page.reload()
    # a reload forgets the session: sign in again by number (dummy auth)
    assert wait_ready(page) == "ready"
    page.click("#loginButton", timeout=TIMEOUT)
    page.fill("#userNumberInput", str(number))
    page.click("#userNumberContinue")
    page.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
    assert page.locator(PASSKEYS).count() == MAX_PASSKEYS
    page.click("#addAdditionalDevice")
    wait_message(page, f"at most {MAX_PASSKEYS} passkeys")
    assert len(canister.credentials(dev_server, number)["credentials"]) == MAX_PASSKEYS


def test_the_identity_is_named_here_and_by_that_name_in_continue_as(dev_server, context, page):
    from tests.e2e.dapp import click_login, open_dapp

    number = create_identity(page, dev_server.ii_url)
    assert page.locator("[data-role=identity-name]").count() == 0
    page.click("#renameIdentity")
    page.fill("#identityNameInput", "é" * 65, timeout=TIMEOUT)  # 130 bytes: said before any call
    page.click("#identityNameSubmit")
    page.wait_for_selector("[data-page=name-identity] [data-role=manage-message]:has-text('too long')",
                           timeout=TIMEOUT)
    page.fill("#identityNameInput", "  Work   <laptop> ")
    page.click("#identityNameSubmit")
    wait_message(page, "is named")
    assert page.text_content("[data-role=identity-name]") == "Work <laptop>"
    owner = canister.dummy_identity(dev_server, number)
    assert canister.anchor_info(dev_server, number, owner).name == "Work <laptop>"

    # A new page of this browser: a dapp's popup offers the identity by its name.
    login = click_login(context, open_dapp(context, dev_server.dapp_url()))
    button = login.popup.locator(f'[data-anchor-id="{number}"]')
    button.wait_for(timeout=TIMEOUT)
    assert "Work <laptop>" in button.text_content()
    login.popup.close()

    page.click("#renameIdentity")  # removing the name: the page and the next popup show the number alone
    page.click("#identityNameRemove", timeout=TIMEOUT)
    wait_message(page, "no name now")
    assert page.locator("[data-role=identity-name]").count() == 0
    assert canister.anchor_info(dev_server, number, owner).name is None
    again = click_login(context, open_dapp(context, dev_server.dapp_url()))
    button = again.popup.locator(f'[data-anchor-id="{number}"]')
    button.wait_for(timeout=TIMEOUT)
    assert "Work" not in button.text_content()
    button.click()
    assert again.principal()
