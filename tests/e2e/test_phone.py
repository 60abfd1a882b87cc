"""The main flows at a phone's size in Chromium: 390x844 CSS pixels, touch input (taps), a mobile
user agent, `isMobile` (the meta viewport is honoured), as the real II runs its suite on a Pixel.

Through the engine-neutral page objects (tests/pages.py). Before every tap the screen is
photographed into $II_SHOTS (default /tmp/shots17/<test>/) for a person to look at, and checked for
what a phone user would notice: the page wider than the screen (a sideways scroll), or the element
about to be tapped not fully inside the screen's width, a text field under 16px (iOS Safari zooms
the page in when it is focused).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from app.recovery.phrase import recovery_key_seed
from ic.agent import Ed25519Identity
from tests.e2e import canister
from tests.e2e.conftest import add_virtual_authenticator
from tests.engines.drivers import PlaywrightDriver
from tests.pages import II, Dapp, Manage, pick_identity

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/156.0.0.0 Mobile Safari/537.36",
}
SHOTS = Path(os.environ.get("II_SHOTS", "/tmp/shots17"))


class PhoneDriver(PlaywrightDriver):
    """Taps; photographs and checks the screen before each tap."""

    def __init__(self, context, shots: Path):
        super().__init__(context, touch=True)
        self.shots, self.taken = shots, 0
        shots.mkdir(parents=True, exist_ok=True)

    def click(self, css: str) -> None:
        self.taken += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", css).strip("-")[:50]
        self.page.screenshot(path=str(self.shots / f"{self.taken:02d}-{slug}.png"))
        width = self.page.evaluate("innerWidth")
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the page is {scroll}px wide on a {width}px screen (before tapping {css})"
        box = self.page.evaluate(f"(e => {{ const r = e.getBoundingClientRect(); return [r.left, r.right]; }})"
                                 f"(document.querySelector({json.dumps(css)}))")
        assert box[0] >= 0 and box[1] <= width, f"{css} is cut off: {box} on a {width}px screen"
        super().click(css)

    def fill(self, css: str, value: str) -> None:
        size = self.page.evaluate(f"parseFloat(getComputedStyle(document.querySelector({json.dumps(css)})).fontSize)")
        assert size >= 16, f"{css} has {size}px text: iOS Safari zooms the page in when it is focused"
        super().fill(css, value)


def phone_profile(browser, shots: Path, passkeys=()) -> PhoneDriver:
    context = browser.new_context(**PHONE)
    context.__dict__["_ii_passkeys"] = list(passkeys)
    context.on("page", lambda page: add_virtual_authenticator(context, page))
    return PhoneDriver(context, shots)


@pytest.fixture
def phone(browser, request):
    profiles = []

    def open_profile(passkeys=()):
        name = request.node.name.removeprefix("test_") + (f"-{len(profiles) + 1}" if profiles else "")
        profiles.append(phone_profile(browser, SHOTS / name, passkeys))
        return profiles[-1]

    yield open_profile
    for driver in profiles:
        driver.close()


def test_phone_registration_and_sign_in(server, phone):
    driver = phone()
    ii = II(driver).open(server.ii_url)
    # the page's meta viewport is honoured (without it a phone lays the page out 980px wide)
    assert driver.js("navigator.maxTouchPoints") > 0 and driver.js("innerWidth") == 390
    number = ii.create_identity()
    manage = Manage(driver).ready()
    assert manage.anchor() == number
    assert len(canister.credentials(server, number)["credentials"]) == 1
    ii = manage.sign_out()
    ii.sign_in(number)
    assert Manage(driver).ready().anchor() == number


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icp-sdk-auth"])
def test_phone_dapp_login(server, phone, page):
    driver = phone()
    dapp = Dapp(driver).open(server.dapp_url(page))
    number = dapp.login().create_identity()
    principal = dapp.principal()
    dapp.open(server.dapp_url(page))
    pick_identity(dapp.login(), number)
    assert dapp.principal() == principal
    driver.page.screenshot(path=str(driver.shots / "99-dapp-signed-in.png"))


def test_phone_manage(server, phone):
    driver = phone()
    number = II(driver).open(server.ii_url).create_identity()
    manage = Manage(driver).ready()
    manage.start_adding_this_device("Laptop")
    manage.message("already has a passkey", page="pick-alias")
    driver.new_authenticator(with_passkeys=False)
    manage.retry_alias()
    manage.message("was added")
    assert len(canister.credentials(server, number)["credentials"]) == 2
    manage.rename("Laptop", "A rather long name for the work laptop")
    manage.start_removing("A rather long name for the work laptop")
    manage.confirm_removal("A rather long name for the work laptop")
    manage.message("was removed")
    assert len(canister.credentials(server, number)["credentials"]) == 1
    driver.page.screenshot(path=str(driver.shots / "99-manage.png"))


def test_phone_recovery_phrase(server, phone):
    driver = phone()
    number = II(driver).open(server.ii_url).create_identity()
    words = Manage(driver).ready().add_recovery_phrase()
    key = Ed25519Identity.from_seed(recovery_key_seed(words))
    assert [bytes(k) for k in canister.credentials(server, number)["recovery_phrases"]] == [key.public_key_der()]

    other = phone()
    ii = II(other).open(server.ii_url)
    ii.recover_with_phrase(number, words)
    manage = ii.name_this_device("New phone")
    assert manage.anchor() == number
    assert len(canister.credentials(server, number)["credentials"]) == 2
    other.page.screenshot(path=str(other.shots / "99-recovered.png"))
