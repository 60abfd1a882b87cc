"""Signing in from another device, started on the NEW device (the real II's v2 session pairing).

The new device (`sign_in_from_another_device`) makes a session key, shows the link
`/activate#<registration id>` (and as a QR code) and polls `lookup_by_registration_mode_id` (every
3 s, 5 minutes). The signed-in device (`activate`) opens the link, signs in and opens the window
with that id (`authn_method_registration_mode_enter`). The new device then registers its session
(`authn_method_session_register`) and shows the 6-digit code; the signed-in device sees the session
waiting (`get_anchor_info`) and confirms the code typed there (`authn_method_confirm`, 3 tries,
`app.flows.add_device.confirm_code`). Once `authn_method_session_info` answers, the new device
creates its passkey and adds it with `authn_method_registration_mode_exit`; its session then acts
for that passkey (a temporary key), so it is signed in without a second prompt.
"""

from __future__ import annotations

from typing import Callable, Optional

from app.canister.client import IIClient, SessionInfo
from app.canister.errors import CanisterError
from app.errors import AppError
from app.flows.add_device import COUNTDOWN, close_window, confirm_code, device_waiting, registration_id
from app.flows.authenticate import SignedIn, remember_anchor, session_identity, use_existing
from app.flows.env import Env
from app.flows.new_passkey import ALIAS_INPUT, named_passkey, start_named_passkey
from app.flows.outcomes import Back
from app.protocol.request import AuthnMethod
from app.routing import activate_url, valid_registration_id
from app.ui import add_device as device_screens
from app.ui import pair as screens
from app.ui.screen import Click, Screen, Ui, busy_screen

POLL_S = 3.0
LINK_WAIT_NS = 5 * 60 * 10**9  # how long the new device waits for its link to be opened
NOT_OPENED = "No signed-in device opened the link within 5 minutes. Start again to get a new link."
NOT_CONFIRMED = "The other device did not confirm in time. Start again to get a new link."
LET_IN = "The new device is let in: it now creates its own passkey there."
BAD_LINK = "The link is incomplete or damaged: its code must be 5 letters or digits."


def _problem(detail: str) -> Screen:
    return Screen(screens.render_pair_problem(detail), ("home",))


def _live(remaining: Callable[[], int]) -> dict:
    return {COUNTDOWN: lambda: device_screens.countdown(remaining())}


# -- the new device --------------------------------------------------------------------------------


async def sign_in_from_another_device(env: Env, ui: Ui) -> Optional[SignedIn]:
    """This device joins an identity a signed-in device lets it into; None: cancelled or stopped."""
    ui.show(busy_screen("Preparing a link…"))
    identity = session_identity(await env.new_session_key())
    reg_id = registration_id(env.random(5))
    url = activate_url(env.origin, reg_id)
    try:
        client = await env.ii(identity)
        await env.load_qr()
    except AppError as exc:
        await ui.ask(_problem(str(exc)))
        return None
    from app.qr import qr_svg

    deadline = env.now_ns() + LINK_WAIT_NS
    link_left = lambda: deadline - env.now_ns()  # noqa: E731
    start = Screen(screens.render_pair_start(url, qr_svg(url, label="QR code of the sign-in link"), link_left()),
                   ("cancel",), live=_live(link_left))
    anchor = await ui.ask(start, until=_link_opened(env, client, reg_id, link_left))
    if isinstance(anchor, Click):
        return None
    if anchor is None:
        await ui.ask(_problem(NOT_OPENED))
        return None
    ui.show(busy_screen("Asking for a code…"))
    try:
        code, expiration_ns = await client.session_register(anchor)
    except CanisterError as exc:
        await ui.ask(_problem(str(exc)))
        return None
    left = lambda: expiration_ns - env.now_ns()  # noqa: E731
    info = await ui.ask(Screen(screens.render_pair_code(anchor, code, left()), ("cancel",), live=_live(left)),
                        until=_session_confirmed(env, client, anchor, left))
    if isinstance(info, Click):
        return None
    if info is None:
        await ui.ask(_problem(NOT_CONFIRMED))
        return None
    return await _add_passkey(env, ui, client, anchor, info, identity)


async def _link_opened(env: Env, client: IIClient, reg_id: str, remaining: Callable[[], int]) -> Optional[int]:
    """The identity whose signed-in device opened the link; None when no one did in time."""
    while remaining() > 0:
        await env.sleep(POLL_S)
        try:
            anchor = await client.lookup_registration_id(reg_id)
        except CanisterError:
            continue  # a lost poll is retried
        if anchor is not None:
            return anchor
    return None


async def _session_confirmed(env: Env, client: IIClient, anchor: int,
                             remaining: Callable[[], int]) -> Optional[SessionInfo]:
    while remaining() > 0:
        await env.sleep(POLL_S)
        try:
            info = await client.session_info(anchor)
        except CanisterError:
            continue
        if info is not None:
            return info
    return None


async def _add_passkey(env: Env, ui: Ui, client: IIClient, anchor: int, info: SessionInfo,
                       identity) -> Optional[SignedIn]:
    label = info.name or f"identity {anchor}"
    start = start_named_passkey(env, ALIAS_INPUT, info.name or f"Identity {anchor}")
    value, message = "This device", None
    while True:
        device = await named_passkey(
            env, ui, lambda v, m, s: Screen(screens.render_pair_passkey(label, v, m), ("create-passkey", "back"),
                                             reads=(ALIAS_INPUT,), starts={"create-passkey": s}),
            start, value, message, busy="Creating this device's passkey…")
        if device is None:
            return None
        ui.show(busy_screen("Adding the passkey to your identity…"))
        try:
            await client.registration_mode_exit(anchor, device)
        except CanisterError as exc:
            value, message = device.alias, str(exc)
            continue
        remember_anchor(env, anchor)
        return SignedIn(anchor, identity, AuthnMethod.PASSKEY, device.pubkey)


# -- the signed-in device --------------------------------------------------------------------------


async def activate(env: Env, ui: Ui, reg_id: str, keyring) -> "Optional[SignedIn]":
    """This device opened a new device's link: sign in, open the window with the link's id,
    confirm the code the new device shows. Who signed in (for the manage page), or None."""
    if not valid_registration_id(reg_id):
        await ui.ask(_problem(BAD_LINK))
        return None
    who = None
    while who is None:
        click = await ui.ask(Screen(screens.render_activate(reg_id), ("sign-in", "cancel")))
        if click.action == "cancel":
            return None
        if await keyring.ready(ui):
            who = await use_existing(env, ui, keyring.session_key, keyring.credentials)
    await _let_in(env, ui, who, reg_id)
    return who


async def _let_in(env: Env, ui: Ui, who: SignedIn, reg_id: str) -> None:
    ui.show(busy_screen("Opening the window for the new device…"))
    try:
        client = await env.ii(who.identity)
        expiration_ns = await client.registration_mode_enter(who.anchor, reg_id)
    except CanisterError as exc:
        await ui.ask(_problem(str(exc)))
        return
    left = lambda: expiration_ns - env.now_ns()  # noqa: E731
    waiting = Screen(screens.render_activate_waiting(left()), ("cancel",), live=_live(left))
    session = await ui.ask(waiting, until=device_waiting(env, client, who.anchor, lambda r: r.session))
    if isinstance(session, Click):
        await close_window(env, ui, client, who)
        return
    if session is None:
        await ui.ask(_problem(NOT_CONFIRMED))
        return
    outcome = await confirm_code(env, ui, client, who, "A new device", left, LET_IN)
    if isinstance(outcome, Back):
        if outcome.message == LET_IN:
            await ui.ask(Screen(screens.render_activate_done(LET_IN), ("continue",)))
        return
    await ui.ask(_problem(outcome.detail))
