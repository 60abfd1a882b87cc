"""The identity flows, one copy for every engine (the test id names it): Chromium and Firefox with
real passkeys in a virtual authenticator (CDP; Marionette's WebDriver WebAuthn extension), WebKitGTK
with the dev flavor's dummy auth (it has no virtual authenticator). Every step that changes an
identity is checked in the canister (tests/e2e/canister.py), not only on the screen.

A second `browser.profile()` is another browser profile (another device, or the same person's new
browser); `profile(passkeys=...)` imports passkeys exported from another profile
(`WebAuthn:GetCredentials` -> `WebAuthn:AddCredential`; in Chromium the CDP equivalents)."""

from __future__ import annotations

import pytest

from app.recovery.phrase import recovery_key_seed
from ic.agent import Ed25519Identity
from tests.e2e import canister
from tests.engines.drivers import app_state
from tests.pages import II, Dapp, Manage, pick_identity

# Two or three Pyodide boots per test; WebKitGTK's take minutes on a loaded 2-core machine. A hang
# guard (pytest-timeout), not an assertion on time.
pytestmark = pytest.mark.timeout(900)


def passkey_ids(replica, number: int) -> list[bytes]:
    return [bytes(c["credential_id"]) for c in canister.credentials(replica, number)["credentials"]]


def exported_ids(driver) -> set[bytes]:
    return {canister.b64(p["credentialId"]) for p in driver.exported_passkeys()}


def test_create_an_identity_then_sign_in_with_its_passkey_in_a_new_window(replica, driver):
    number = II(driver).open(replica.ii_url).create_identity()
    manage = Manage(driver).ready()
    assert manage.anchor() == number
    assert len(manage.passkeys()) == 1
    (credential_id,) = passkey_ids(replica, number)
    if driver.passkeys:  # the canister holds the passkey the authenticator made
        assert exported_ids(driver) == {credential_id}

    driver.new_window(replica.ii_url)
    assert app_state(driver) == "ready"
    II(driver).sign_in(number)
    assert Manage(driver).ready().anchor() == number


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icp-sdk-auth"])
def test_dapp_login_through_the_popup_new_then_returning_user(replica, driver, page):
    dapp = Dapp(driver).open(replica.dapp_url(page))
    number = dapp.login().create_identity()
    principal = dapp.principal()
    assert len(passkey_ids(replica, number)) == 1

    dapp.open(replica.dapp_url(page))
    pick_identity(dapp.login(), number)
    assert dapp.principal() == principal  # one origin, always the same principal


def test_sign_in_by_number_in_a_fresh_profile_with_the_exported_passkey(replica, browser):
    first = browser.profile()
    number = II(first).open(replica.ii_url).create_identity()
    Manage(first).ready()
    exported = first.exported_passkeys()
    if first.passkeys:
        assert {canister.b64(p["credentialId"]) for p in exported} == set(passkey_ids(replica, number))

    fresh = browser.profile(passkeys=exported)
    ii = II(fresh).open(replica.ii_url)
    ii.sign_in_by_number(number)
    assert Manage(fresh).ready().anchor() == number


def test_manage_add_on_another_authenticator_rename_and_remove(replica, driver):
    number = II(driver).open(replica.ii_url).create_identity()
    manage = Manage(driver).ready()
    manage.start_adding_this_device("Laptop")
    if driver.passkeys:
        # this authenticator has a passkey of the identity already: another one is needed
        manage.message("already has a passkey", page="pick-alias")
        driver.new_authenticator(with_passkeys=False)  # a security key, say
        manage.retry_alias()
    manage.message("was added")
    assert sorted(manage.passkeys()) == ["Laptop", "Passkey"]
    assert len(passkey_ids(replica, number)) == 2

    manage.rename("Laptop", "Work laptop")
    assert sorted(manage.passkeys()) == ["Passkey", "Work laptop"]
    if not driver.passkeys:  # dummy auth: its device key is derivable, so the aliases can be read
        info = canister.anchor_info(replica, number, canister.dummy_identity(replica, number))
        assert sorted(d.alias for d in info.passkeys) == ["Passkey", "Work laptop"]

    manage.start_removing("Work laptop")
    manage.confirm_removal("Laptop")  # not its name: nothing is removed
    manage.message("", page="confirm-remove-device-page")
    assert len(passkey_ids(replica, number)) == 2
    manage.confirm_removal("Work laptop")
    manage.message("was removed")
    assert manage.passkeys() == ["Passkey"]
    assert len(passkey_ids(replica, number)) == 1

    ii = manage.sign_out()
    if driver.passkeys:
        # the authenticator in use holds only the removed passkey: refused, with the reason
        ii.sign_in(number)
        assert "does not belong to any Internet Identity" in ii.error()
    else:
        ii.sign_in(number)
        assert Manage(driver).ready().passkeys() == ["Passkey"]  # read back from the canister


def test_recovery_phrase_then_recover_in_a_fresh_profile(replica, browser):
    first = browser.profile()
    number = II(first).open(replica.ii_url).create_identity()
    manage = Manage(first).ready()
    words = manage.add_recovery_phrase()
    key = Ed25519Identity.from_seed(recovery_key_seed(words))
    assert [bytes(k) for k in canister.credentials(replica, number)["recovery_phrases"]] == [key.public_key_der()]
    assert "Recovery phrase" in manage.recoveries()

    fresh = browser.profile()
    ii = II(fresh).open(replica.ii_url)
    ii.recover_with_phrase(number, words)
    manage = ii.name_this_device("New laptop")
    assert manage.anchor() == number
    assert "New laptop" in manage.passkeys()
    assert len(passkey_ids(replica, number)) == 2
    if fresh.passkeys:  # the new passkey is the fresh profile's
        assert exported_ids(fresh) <= set(passkey_ids(replica, number))


def test_recovery_security_key_then_recover_in_a_fresh_profile(replica, browser):
    first = browser.profile()
    number = II(first).open(replica.ii_url).create_identity()
    manage = Manage(first).ready()
    if first.passkeys:
        first.new_authenticator(with_passkeys=False, transport="usb", hasResidentKey=False)  # a security key
    manage.add_recovery_key()
    (recovery,) = canister.credentials(replica, number)["recovery_credentials"]
    key_id = bytes(recovery["credential_id"])
    assert "Recovery key" in manage.recoveries()

    # the new profile has only the security key (plugged in), not the passkey
    fresh = browser.profile(passkeys=[p for p in first.exported_passkeys()
                                      if canister.b64(p["credentialId"]) == key_id])
    if fresh.passkeys:
        assert exported_ids(fresh) == {key_id}
        fresh.new_authenticator(transport="usb", hasResidentKey=False)
    ii = II(fresh).open(replica.ii_url)
    ii.recover_with_security_key(number)
    assert ii.name_this_device(None).anchor() == number
