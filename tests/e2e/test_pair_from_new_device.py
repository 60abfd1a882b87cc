"""Signing in from another device, started on the new device: two browser profiles, each with its
own authenticator; the new one shows a link, the signed-in one opens it and confirms the code, the
new one creates its passkey and is signed in. The canister is checked after each step."""

from __future__ import annotations

import pytest

from tests.e2e import canister
from tests.e2e.conftest import new_profile
from tests.e2e.test_manage import create_identity
from tests.engines.drivers import PlaywrightDriver, app_state
from tests.pages import Activate, Pairing


@pytest.fixture
def new_device(browser):
    context = new_profile(browser)
    yield context
    context.close()


def test_a_new_device_signs_in_through_a_signed_in_one(server, page, new_device):
    number = create_identity(page, server.ii_url)
    new = Pairing(PlaywrightDriver(new_device))
    new.driver.goto(server.ii_url)
    assert app_state(new.driver) == "ready"
    link = new.start()
    assert link.startswith(server.ii_url.rstrip("/") + "/activate#")

    old = Activate(PlaywrightDriver.on(page))
    old.driver.goto(link)
    assert app_state(old.driver) == "ready"
    old.sign_in()  # with its own passkey; it opens the window with the link's id
    code = new.code()
    old.verify_code("000000" if code != "000000" else "111111")
    assert "2 attempts left" in old.verify_message()
    old.verify_code(code)
    assert old.done().anchor() == number
    assert len(canister.credentials(server, number)["credentials"]) == 1  # the new one adds its own

    signed_in = new.create_passkey("Laptop")
    assert signed_in.anchor() == number
    assert signed_in.current_device() == "Laptop"
    assert len(canister.credentials(server, number)["credentials"]) == 2


def test_a_damaged_activate_link_is_explained(server, page):
    page.goto(server.ii_url + "activate#ab-")
    assert Pairing(PlaywrightDriver.on(page)).problem().startswith("The link is incomplete or damaged")
