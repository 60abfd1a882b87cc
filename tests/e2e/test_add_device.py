"""Adding a passkey from another device: two browser profiles, each with its own authenticator, and
the canister checked after each step."""

from __future__ import annotations

import pytest

from tests.e2e import canister
from tests.e2e.conftest import new_profile, wait_ready
from tests.e2e.dapp import TIMEOUT
from tests.e2e.test_manage import PASSKEYS, create_identity, wait_message


@pytest.fixture
def second_profile(browser):
    """Another device: its own browser profile and authenticator, no passkeys of the first."""
    context = new_profile(browser)
    yield context
    context.close()


def offer_link(page, which: str) -> str:
    page.click("#addAdditionalDevice")
    page.click("#addAnotherDevice", timeout=TIMEOUT)
    link = page.locator(f"[data-role={which}]")
    link.wait_for(timeout=TIMEOUT)
    assert page.locator("svg.qr").count() == 1 and page.locator("[data-role=countdown]").count() == 1
    return link.get_attribute("href")


@pytest.mark.parametrize("which", ["add-device-link", "add-device-link-classic"])
def test_add_a_passkey_from_another_device(server, page, second_profile, which):
    number = create_identity(page, server.ii_url)
    url = offer_link(page, which)
    assert ("/pair#" in url) == (which == "add-device-link")

    new = second_profile.new_page()
    new.goto(url)
    assert wait_ready(new) == "ready"
    new.fill("#pickAliasInput", "Phone", timeout=TIMEOUT)
    new.click("#addDeviceContinue")
    code = new.text_content("#verificationCode", timeout=TIMEOUT)
    assert len(code) == 6 and code.isdigit()

    page.fill("#tentativeDeviceCode", "000000" if code != "000000" else "111111", timeout=TIMEOUT)
    page.click("#verifyDevice")
    assert "2 attempts left" in page.text_content("[data-role=verify-message]", timeout=TIMEOUT)
    assert len(canister.credentials(server, number)["credentials"]) == 1  # nothing added yet

    page.fill("#tentativeDeviceCode", code)
    page.click("#verifyDevice")
    wait_message(page, "“Phone” was added")
    assert page.locator("li[data-device='Phone']").count() == 1
    assert len(canister.credentials(server, number)["credentials"]) == 2

    new.click("#addDeviceSignIn", timeout=TIMEOUT)  # signs in with its new passkey
    new.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
    assert new.text_content("[data-role=anchor]") == str(number)
    assert new.get_attribute("li:has([data-role=current-device])", "data-device") == "Phone"


def test_a_cancelled_window_and_a_damaged_link_are_explained(server, page, second_profile):
    number = create_identity(page, server.ii_url)
    url = offer_link(page, "add-device-link")
    page.click("[data-page=add-device-offer] [data-action=cancel]")
    page.wait_for_selector(PASSKEYS, timeout=TIMEOUT)

    new = second_profile.new_page()
    new.goto(url)
    assert "expired or was cancelled" in new.text_content("[data-role=link-problem]", timeout=TIMEOUT)
    new.goto(server.ii_url + "pair#ab")
    assert "damaged" in new.text_content("[data-role=link-problem]", timeout=TIMEOUT)
    new.goto(server.ii_url + f"?action=add-passkey&ii={number}")
    new.fill("#pickAliasInput", "Tablet", timeout=TIMEOUT)
    new.click("#addDeviceContinue")  # the window is closed: the canister says so
    assert "not enabled" in new.text_content("[data-role=link-problem]", timeout=TIMEOUT)
    assert len(canister.credentials(server, number)["credentials"]) == 1
