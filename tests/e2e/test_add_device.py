"""Adding a passkey from another device: two browser profiles, each with its own authenticator, and
the canister checked after each step. Through the page objects of tests/pages.py."""

from __future__ import annotations

import pytest

from tests.e2e import canister
from tests.e2e.conftest import new_profile
from tests.e2e.test_manage import create_identity
from tests.engines.drivers import PlaywrightDriver, app_state
from tests.e2e.dapp import manage
from tests.pages import NewDevice


@pytest.fixture
def second_profile(browser):
    """Another device: its own browser profile and authenticator, no passkeys of the first."""
    context = new_profile(browser)
    yield context
    context.close()


def open_link(profile, url: str) -> NewDevice:
    device = NewDevice(PlaywrightDriver(profile))
    device.driver.goto(url)
    assert app_state(device.driver) == "ready"
    return device


@pytest.mark.parametrize("which", ["add-device-link", "add-device-link-classic"])
def test_add_a_passkey_from_another_device(server, page, second_profile, which):
    number = create_identity(page, server.ii_url)
    old = manage(page)
    url = old.offer_link(which)
    assert ("/pair#" in url) == (which == "add-device-link")

    new = open_link(second_profile, url)
    code = new.name_device("Phone")

    old.verify_code("000000" if code != "000000" else "111111")
    assert "2 attempts left" in old.verify_message()
    assert len(canister.credentials(server, number)["credentials"]) == 1  # nothing added yet

    old.verify_code(code)
    old.message("“Phone” was added")
    assert "Phone" in old.passkeys()
    assert len(canister.credentials(server, number)["credentials"]) == 2

    signed_in = new.sign_in()  # with its new passkey
    assert signed_in.anchor() == number
    assert signed_in.current_device() == "Phone"


def test_a_cancelled_window_and_a_damaged_link_are_explained(server, page, second_profile):
    number = create_identity(page, server.ii_url)
    url = manage(page).offer_link()
    manage(page).cancel_offer()

    new = open_link(second_profile, url)
    assert "expired or was cancelled" in new.link_problem()
    new.driver.goto(server.ii_url + "pair#ab")
    new.wait_text("[data-role=link-problem]", "damaged")
    new.driver.goto(server.ii_url + f"?action=add-passkey&ii={number}")
    new.submit_name("Tablet")  # the window is closed: the canister says so
    new.wait_text("[data-role=link-problem]", "not enabled")
    assert len(canister.credentials(server, number)["credentials"]) == 1
