"""Adding a device from the signed-in device under CPython (`FakeUi`, the replica in-process, an
injected clock): the window opened, a device proposed by another client, its code confirmed."""

from __future__ import annotations

import asyncio
import dataclasses
import re

from ic.agent import Ed25519Identity

from app.flows.add_device import THREE_WRONG, TIMED_OUT, add_from_another_device
from app.flows.manage import manage
from app.flows.outcomes import Back
from app.passkeys import PasskeyError, PasskeyFailure
from app.ui.screen import Click, Screen
from tests.unit.frontend.flow_fakes import WAIT, FakeUi, client_for, make_env, page_of, register
from tests.unit.frontend.test_manage_flow import message_of, passkey, run_elsewhere

CODE = "#tentativeDeviceCode"


def run(coroutine):
    return asyncio.run(coroutine)


class NewDevice:
    """The other device: proposes itself through the link on the offer screen."""

    def __init__(self, replica):
        self.client = client_for(replica, Ed25519Identity.generate())
        self.device = passkey(7).renamed("Phone")
        self.code = ""

    def propose(self, screen: Screen):
        assert page_of(screen) == "add-device-offer"
        assert re.search(r'data-role="add-device-link" href="http://localhost:4943/pair#[A-Za-z0-9]{5}"', screen.markup)
        assert "<svg" in screen.markup  # the QR code
        anchor = int(re.search(r"ii=(\d+)", screen.markup).group(1))
        self.code, _ = run_in_thread(self.client.authn_method_register(anchor, self.device))
        return WAIT


def run_in_thread(coroutine):
    import threading

    result = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return result[0]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_device_proposed_and_confirmed_with_its_code(replica):
    who, client = register(replica)
    other = NewDevice(replica)
    ui = FakeUi([Click("add-device"), Click("add-other"), other.propose,
                 Click("verify", {CODE: "12"}), lambda _s: Click("verify", {CODE: wrong(other.code)}),
                 lambda _s: Click("verify", {CODE: other.code}), Click("logout")])
    run(manage(make_env(replica), ui, who))
    verify = [s.markup for s in ui.shown if page_of(s) == "verify-tentative-device"]
    assert "“Phone” wants to join" in verify[0]
    assert "The code has 6 digits." in verify[1] and "2 attempts left." in verify[2]
    assert "“Phone” was added." in message_of(ui)
    assert [d.alias for d in run(client.anchor_info(who.anchor)).devices] == ["Passkey", "Phone"]


def test_cancel_closes_the_window(replica):
    who, client = register(replica)
    ui = FakeUi([Click("add-device"), Click("add-other"), Click("cancel"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert ui.pages[-2:] == ["busy", "manage"]
    assert run(client.anchor_info(who.anchor)).registration is None


def test_a_window_closed_elsewhere_is_said_and_can_start_again(replica):
    who, client = register(replica)

    def closed_elsewhere(_screen):
        run_elsewhere(client.registration_mode_exit(who.anchor))
        return WAIT

    ui = FakeUi([Click("add-device"), Click("add-other"), closed_elsewhere, Click("retry"), Click("cancel"),
                 Click("logout")])
    run(manage(make_env(replica), ui, who))
    closed = next(s for s in ui.shown if page_of(s) == "device-registration-disabled")
    assert TIMED_OUT in closed.markup
    assert ui.pages.count("add-device-offer") == 2


def test_three_wrong_codes_close_the_window(replica):
    who, _ = register(replica)
    other = NewDevice(replica)
    ui = FakeUi([other.propose, *[lambda _s: Click("verify", {CODE: wrong(other.code)})] * 3, Click("back")])
    assert run(add_from_another_device(make_env(replica), ui, who)) == Back()
    assert THREE_WRONG in ui.last.markup and page_of(ui.last) == "device-registration-disabled"


def test_a_refused_window_goes_back_with_the_reason(replica):
    who, _ = register(replica)
    stranger = type(who)(who.anchor, Ed25519Identity.generate(), who.authn_method, who.device_pubkey)
    outcome = run(add_from_another_device(make_env(replica), FakeUi([]), stranger))
    assert outcome.error and outcome.message


def test_the_countdown_follows_the_injected_clock(replica):
    who, _ = register(replica)
    env = make_env(replica)
    ui = FakeUi([Click("cancel")])
    run(add_from_another_device(env, ui, who))
    offer = next(s for s in ui.shown if page_of(s) == "add-device-offer")
    before = offer.live["[data-role=countdown]"]()
    env.now_ns.advance(61)
    assert before.startswith(("14:", "15:")) and offer.live["[data-role=countdown]"]() != before


# -- the new device --------------------------------------------------------------------------------

from app.flows.add_device import EXPIRED, NOT_IN_TIME, join  # noqa: E402
from app.routing import AddDeviceLink  # noqa: E402

ALIAS = "#pickAliasInput"


def open_window(replica, who) -> str:
    from app.flows.add_device import registration_id

    rid = registration_id(bytes(range(5)))
    run(client_for(replica, who.identity).registration_mode_enter(who.anchor, rid))
    return rid


def confirm_from(replica, who, *, v2: bool = True):
    def step(screen: Screen):
        code = re.search(r'data-role="verification-code">(\d{6})<', screen.markup).group(1)
        signed_in = client_for(replica, who.identity)
        run_in_thread(signed_in.authn_method_confirm(who.anchor, code) if v2
                      else signed_in.verify_tentative_device(who.anchor, code))
        return WAIT
    return step


def test_join_through_the_current_link(replica):
    who, client = register(replica)
    rid = open_window(replica, who)
    ui = FakeUi([Click("join", {ALIAS: ""}), Click("join", {ALIAS: "Tablet"}), confirm_from(replica, who)])
    assert run(join(make_env(replica), ui, AddDeviceLink(registration_id=rid))) == who.anchor
    assert "Give the passkey a name." in ui.shown[2].markup
    assert [d.alias for d in run(client.anchor_info(who.anchor)).devices] == ["Passkey", "Tablet"]


def test_join_through_the_classic_link(replica):
    who, client = register(replica)
    run(client_for(replica, who.identity).enter_registration_mode(who.anchor))
    ui = FakeUi([Click("join", {ALIAS: "Old phone"}), confirm_from(replica, who, v2=False)])
    assert run(join(make_env(replica), ui, AddDeviceLink(anchor=who.anchor))) == who.anchor
    assert "Old phone" in [d.alias for d in run(client.anchor_info(who.anchor)).devices]


def test_links_that_cannot_add_a_device(replica):
    who, _ = register(replica)
    for link, words in ((AddDeviceLink(registration_id="ab"), "damaged"), (AddDeviceLink(anchor=-1), "damaged"),
                        (AddDeviceLink(registration_id="abcde"), EXPIRED)):
        ui = FakeUi([Click("home")])
        assert run(join(make_env(replica), ui, link)) is None
        assert words in ui.last.markup and page_of(ui.last) == "add-device-link-problem"
    ui = FakeUi([Click("join", {ALIAS: "Late"}), Click("home")])  # the window is not open
    assert run(join(make_env(replica), ui, AddDeviceLink(anchor=who.anchor))) is None
    assert "not enabled" in ui.last.markup


def test_the_new_device_stops_waiting_when_the_window_runs_out(replica):
    who, _ = register(replica)
    rid = open_window(replica, who)
    env = make_env(replica)
    ui = FakeUi([Click("join", {ALIAS: "Slow"}), WAIT, Click("home")])
    env.sleep = lambda seconds: later(env, 20 * 60)
    assert run(join(env, ui, AddDeviceLink(registration_id=rid))) is None
    assert NOT_IN_TIME in ui.last.markup


async def later(env, seconds):
    env.now_ns.advance(seconds)


def test_the_joined_device_signs_in_with_a_click_and_again_after_a_failure(replica):
    """After joining: "Sign in" starts the prompt in the click; a failed sign-in says why and the
    joined screen comes back. (Dummy auth: the identity's own dummy key answers.)"""
    from app.flows.add_device import sign_in_joined

    who, _ = register(replica)
    ui = FakeUi([Click("sign-in"), Click("retry"), Click("sign-in")])
    env = make_env(replica, ui=ui)
    env.config = dataclasses.replace(env.config, dummy_auth=False)  # the first click asks a passkey
    attempts = []

    def start_get(options):
        attempts.append(options)
        env.config = dataclasses.replace(env.config, dummy_auth=True)  # which is refused; then dummy auth

        async def refused():
            raise PasskeyError(PasskeyFailure.CANCELLED, "NotAllowedError")
        return refused()

    env.start_get = start_get
    signed_in = run(sign_in_joined(env, ui, who.anchor))
    assert len(attempts) == 1 and signed_in.anchor == who.anchor
    assert [page_of(s) for s in ui.asked] == ["add-device-success", "error", "add-device-success"]
    assert "cancelled" in ui.asked[1].markup
