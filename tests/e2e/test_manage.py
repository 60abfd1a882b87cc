"""The manage page after signing in at `/`: list, add, rename, remove, sign out; each change checked
in the canister (tests/e2e/canister.py), not only on the screen. Through the page objects of
tests/pages.py."""

from __future__ import annotations

from tests.e2e import canister
from tests.e2e.conftest import swap_authenticator
from tests.e2e.dapp import ii, manage
from tests.pages import pick_identity


def create_identity(page, url: str) -> int:
    """Landing page -> #registerButton -> captcha -> number -> manage page."""
    number = ii(page).open(url).create_identity()
    manage(page).ready()
    return number


def test_passkeys_listed_added_renamed_and_removed(server, page):
    number = create_identity(page, server.ii_url)
    view = manage(page)
    assert view.anchor() == number
    assert len(view.passkeys()) == 1
    assert view.count("[data-role=current-device]") == 1

    view.start_adding_this_device("Laptop")  # this authenticator has a passkey of the identity already
    view.message("already has a passkey", page="pick-alias")
    swap_authenticator(page, with_passkeys=False)  # another authenticator (a security key)
    view.retry_alias()
    view.message("was added")
    assert len(view.passkeys()) == 2
    assert len(canister.credentials(server, number)["credentials"]) == 2

    view.rename("Laptop", "Work laptop")
    assert "Work laptop" in view.passkeys()

    view.remove("Work laptop", typed="Laptop")
    view.wait_for("[data-page=confirm-remove-device-page] [data-role=manage-message]")
    assert len(canister.credentials(server, number)["credentials"]) == 2  # a wrong name removes nothing

    view.confirm_removal("Work laptop")
    view.message("was removed")
    assert len(view.passkeys()) == 1
    assert len(canister.credentials(server, number)["credentials"]) == 1

    landing = view.sign_out()
    # The removed passkey is still in its authenticator; signing in with it is refused, clearly.
    landing.sign_in(number)
    assert "does not belong to any Internet Identity" in landing.error()


def test_removing_the_device_in_use_signs_out_and_aliases_reach_the_canister(dev_server, page):
    number = create_identity(page, dev_server.ii_url)
    view = manage(page)
    view.start_adding_this_device("Phone")
    view.message("was added")
    info = canister.anchor_info(dev_server, number, canister.dummy_identity(dev_server, number))
    assert sorted(d.alias for d in info.passkeys) == ["Passkey", "Phone"]

    current = view.current_device()
    view.start_removing(current)
    view.wait_text("[data-page=confirm-remove-device-page]", "signs you out")
    view.confirm_removal(current)
    view.acknowledge_notice()
    ii(page).wait_for("#registerButton")
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
    # a reload forgets the session: sign in again by number (dummy auth)
    ii(page).open(dev_server.ii_url).sign_in_by_number(number)
    view = manage(page).ready()
    assert len(view.passkeys()) == MAX_PASSKEYS
    view.click("#addAdditionalDevice")
    view.message(f"at most {MAX_PASSKEYS} passkeys")
    assert len(canister.credentials(dev_server, number)["credentials"]) == MAX_PASSKEYS


def test_the_identity_is_named_here_and_by_that_name_in_continue_as(dev_server, context, page):
    from tests.e2e.dapp import click_login, open_dapp

    number = create_identity(page, dev_server.ii_url)
    view = manage(page)
    assert view.identity_name() is None
    view.name_identity("é" * 65)  # 130 bytes: said before any call
    view.message("too long", page="name-identity")
    view.retry_name("  Work   <laptop> ")
    view.message("is named")
    assert view.identity_name() == "Work <laptop>"
    owner = canister.dummy_identity(dev_server, number)
    assert canister.anchor_info(dev_server, number, owner).name == "Work <laptop>"

    # A new page of this browser: a dapp's popup offers the identity by its name.
    login = click_login(context, open_dapp(context, dev_server.dapp_url()))
    assert "Work <laptop>" in login.ii.text(f'[data-anchor-id="{number}"]')
    login.popup.close()

    view.remove_identity_name()  # the page and the next popup show the number alone
    view.message("no name now")
    assert view.identity_name() is None
    assert canister.anchor_info(dev_server, number, owner).name is None
    again = click_login(context, open_dapp(context, dev_server.dapp_url()))
    assert "Work" not in again.ii.text(f'[data-anchor-id="{number}"]')
    pick_identity(again.ii, number)
    assert again.principal()
