"""Signing in from another device, started on the new device, under CPython (`FakeUi`, the replica
in-process, an injected clock): the link, the code, the passkey; and the signed-in device's side."""

from __future__ import annotations

import asyncio
import re

from ic.agent import Ed25519Identity

from app.remembered import STORAGE_KEY, parse_remembered
from app.flows.pair import NOT_CONFIRMED, NOT_OPENED, _let_in, sign_in_from_another_device
from app.ui.screen import Click, Screen
from tests.unit.frontend.flow_fakes import WAIT, FakeUi, client_for, make_env, page_of, register
from tests.unit.frontend.test_add_device_flow import run_in_thread, wrong

ALIAS = "#pickAliasInput"
CODE = "#tentativeDeviceCode"


class SignedInDevice:
    """The old device: opens the new device's link and confirms its code (through its client)."""

    def __init__(self, replica):
        self.who, self.client = register(replica)
        run_in_thread(self.client.set_name(self.who.anchor, "Alice"))

    def open_link(self, screen: Screen):
        assert page_of(screen) == "pair-start" and "<svg" in screen.markup
        reg_id = re.search(r'data-role="pair-link" href="http://localhost:4943/activate#([A-Za-z0-9]{5})"',
                           screen.markup).group(1)
        run_in_thread(self.client.registration_mode_enter(self.who.anchor, reg_id))
        return WAIT

    def confirm(self, screen: Screen):
        assert page_of(screen) == "pair-code" and f"Identity {self.who.anchor} opened the link" in screen.markup, screen.markup[-600:]
        code = re.search(r'data-role="pair-code">(\d{6})<', screen.markup).group(1)
        run_in_thread(self.client.authn_method_confirm(self.who.anchor, code))
        return WAIT


def test_the_new_device_joins_and_is_signed_in_with_its_new_passkey(replica):
    old = SignedInDevice(replica)
    ui = FakeUi([old.open_link, old.confirm, Click("create-passkey", {ALIAS: ""}),
                 Click("create-passkey", {ALIAS: "Laptop"})])
    storage = {}
    who = asyncio.run(sign_in_from_another_device(make_env(replica, storage=storage), ui))
    passkey_screens = [s.markup for s in ui.shown if page_of(s) == "pair-passkey"]
    assert "Create a passkey for Alice" in passkey_screens[0]
    assert who.anchor == old.who.anchor and who.device_pubkey is not None
    info = asyncio.run(client_for(replica, who.identity).anchor_info(who.anchor))  # the session acts for it
    assert [d.alias for d in info.devices] == ["Passkey", "Laptop"] and info.registration is None
    assert [a.number for a in parse_remembered(storage[STORAGE_KEY]).anchors] == [who.anchor]


def test_no_one_opens_the_link_in_time(replica):
    ui = FakeUi([WAIT, Click("home")])
    assert asyncio.run(sign_in_from_another_device(make_env(replica), ui)) is None
    assert NOT_OPENED in ui.last.markup


def test_the_code_is_not_confirmed_in_time(replica):
    old = SignedInDevice(replica)
    ui = FakeUi([old.open_link, WAIT, Click("home")])
    assert asyncio.run(sign_in_from_another_device(make_env(replica), ui)) is None
    assert NOT_CONFIRMED in ui.last.markup


def test_a_window_already_holding_a_session_refuses_another(replica):
    old = SignedInDevice(replica)

    def intruder_first(screen):
        old.open_link(screen)
        anchor = old.who.anchor
        run_in_thread(client_for(replica, Ed25519Identity.generate()).session_register(anchor))
        return WAIT

    ui = FakeUi([intruder_first, Click("home")])
    assert asyncio.run(sign_in_from_another_device(make_env(replica), ui)) is None
    assert page_of(ui.last) == "pair-problem" and "Another device is already waiting" in ui.last.markup


def test_the_signed_in_device_lets_the_new_one_in_after_a_wrong_code(replica):
    old = SignedInDevice(replica)
    new = client_for(replica, Ed25519Identity.generate())
    got = {}

    def new_device_asks(screen):
        assert page_of(screen) == "activate-waiting"
        got["code"], _ = run_in_thread(new.session_register(old.who.anchor))
        return WAIT

    ui = FakeUi([new_device_asks, lambda _s: Click("verify", {CODE: wrong(got["code"])}),
                 lambda _s: Click("verify", {CODE: got["code"]}), Click("continue")])
    asyncio.run(_let_in(make_env(replica), ui, old.who, "Ab3dE"))
    verify = [s.markup for s in ui.shown if page_of(s) == "verify-tentative-device"]
    assert "“A new device” wants to join" in verify[0] and "2 attempts left." in verify[1]
    assert page_of(ui.last) == "activate-done"
    assert run_in_thread(new.session_info(old.who.anchor)) is not None


def test_the_activate_link_routes_to_the_signed_in_side():
    from app.routing import Route, activate_link, activate_url, route_for

    assert activate_url("http://x.localhost:1", "ab12Z") == "http://x.localhost:1/activate#ab12Z"
    assert route_for("/activate", "#ab12Z") is Route.ACTIVATE and activate_link("/activate/", "#ab12Z") == "ab12Z"
    assert route_for("/activated", "#ab12Z") is Route.LANDING and activate_link("/", "#ab12Z") is None


def test_a_damaged_activate_link_is_said_before_anything_else(replica):
    from app.flows.pair import BAD_LINK, activate

    ui = FakeUi([Click("home")])
    assert asyncio.run(activate(make_env(replica), ui, "ab-1", keyring=None)) is None
    assert BAD_LINK in ui.last.markup
