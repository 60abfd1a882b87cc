"""Adding a passkey from another device (ii-facts §5 "Tentative device", §6 add-device screens).

The signed-in device (`add_from_another_device`, from the manage page) opens the 15-minute window with a registration id
(v2 `authn_method_registration_mode_enter`), shows the current link `/pair#<id>` (and as a QR
code) and the classic `/?action=add-passkey&ii=<number>`, and watches `get_anchor_info` until a
device waits; the person types the code the new device shows (`authn_method_confirm`: 3 tries).

The new device (`join`, then `sign_in_joined`) opens a link, creates its passkey and proposes it: through the link it
came by, v2 (`lookup_by_registration_mode_id` + `authn_method_register`) or v1
(`add_tentative_device`). Both land in the canister's one registration state, so either confirm
call accepts it. It shows the 6-digit code, waits until the passkey is part of the identity, then
signs in with it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Callable, Optional

from app.canister.client import IIClient
from app.canister.devices import Device, TentativeRegistration
from app.canister.errors import CanisterError, DeviceError
from app.errors import AppError
from app.flows.authenticate import Keyring, SignedIn, sign_in_started
from app.flows.env import Env
from app.flows.new_passkey import ALIAS_INPUT, named_passkey, start_named_passkey
from app.flows.outcomes import Back
from app.routing import AddDeviceLink, valid_registration_id
from app.ui import add_device as screens
from app.ui.markup import Markup
from app.ui.screen import Click, Screen, Ui, busy_screen

POLL_S = 2.0
COUNTDOWN = "[data-role=countdown]"
ID_ALPHABET = string.ascii_letters + string.digits


def registration_id(random: bytes) -> str:
    """5 alphanumerics from 5 random bytes (the canister's `RegistrationId`)."""
    return "".join(ID_ALPHABET[b % len(ID_ALPHABET)] for b in random[:5])


CODE_INPUT = "#tentativeDeviceCode"
THREE_WRONG = "That code was not right three times, so the device was not added."
TIMED_OUT = "The 15 minutes to add a device have passed."


@dataclass(frozen=True)
class Closed:
    """The add-device window closed before a device was added; `detail` says why."""

    detail: str


# -- screens of the signed-in device ---------------------------------------------------------------


def offer_screen(url: str, classic: str, qr: Markup, remaining: Callable[[], int]) -> Screen:
    return Screen(screens.render_offer(url, classic, qr, remaining()), ("cancel",),
                  live={COUNTDOWN: lambda: screens.countdown(remaining())})


def verify_screen(alias: str, remaining: Callable[[], int], message: Optional[str] = None) -> Screen:
    return Screen(screens.render_verify(alias, remaining(), message), ("verify", "cancel"), reads=(CODE_INPUT,),
                  live={COUNTDOWN: lambda: screens.countdown(remaining())})


def closed_screen(detail: str) -> Screen:
    return Screen(screens.render_closed(detail), ("retry", "back"))


# -- the signed-in device --------------------------------------------------------------------------


async def add_from_another_device(env: Env, ui: Ui, who: SignedIn) -> Back:
    """Open the window, show the link, wait for a device, confirm its code; "Start again" after the
    window closed opens a new one."""
    while True:
        outcome = await one_window(env, ui, who)
        if not isinstance(outcome, Closed):
            return outcome
        click = await ui.ask(closed_screen(outcome.detail))
        if click.action == "back":
            return Back()


async def one_window(env: Env, ui: Ui, who: SignedIn) -> "Back | Closed":
    ui.show(busy_screen("Opening the add-device window…"))
    link = AddDeviceLink(registration_id=registration_id(env.random(5)))
    try:
        client = await env.ii(who.identity)
        expiration_ns = await client.registration_mode_enter(who.anchor, link.registration_id)
        await env.load_qr()
    except AppError as exc:  # a refusal, or the QR library did not load
        return Back(str(exc), error=True)
    from app.qr import qr_svg

    def remaining() -> int:
        return expiration_ns - env.now_ns()

    url = link.url(env.origin)
    classic = AddDeviceLink(anchor=who.anchor).url(env.origin)
    answer = await ui.ask(offer_screen(url, classic, qr_svg(url, label="QR code of the add-device link"), remaining),
                          until=device_waiting(env, client, who.anchor))
    if isinstance(answer, Click):
        return await close_window(env, ui, client, who)
    if answer is None:
        return Closed(TIMED_OUT)
    return await confirm_code(env, ui, client, who, answer.alias, remaining, f"“{answer.alias}” was added.")


async def device_waiting(env: Env, client: IIClient, anchor: int,
                         pick: Callable[[TentativeRegistration], Any] = lambda r: r.device) -> Any:
    """The device waiting for its code (`pick`: or what else the window holds), once there is one;
    None when the window closed first."""
    while True:
        await env.sleep(POLL_S)
        try:
            registration = (await client.anchor_info(anchor)).registration
        except CanisterError:
            continue  # a lost poll is retried; the countdown shows how long is left
        if registration is None:
            return None
        if pick(registration) is not None:
            return pick(registration)


async def confirm_code(env: Env, ui: Ui, client: IIClient, who: SignedIn, alias: str,
                       remaining: Callable[[], int], done: str) -> "Back | Closed":
    """The code the waiting device (`alias`) shows, typed here; `done` is said once it is right."""
    message = None
    while True:
        click = await ui.ask(verify_screen(alias, remaining, message))
        if click.action == "cancel":
            return await close_window(env, ui, client, who)
        code = click.text(CODE_INPUT).strip()
        if not (len(code) == 6 and code.isdigit()):
            message = "The code has 6 digits."
            continue
        ui.show(busy_screen("Confirming…"))
        try:
            await client.authn_method_confirm(who.anchor, code)
        except DeviceError as exc:
            if exc.retries_left:
                message = f"That code is not right. {exc.retries_left} attempt{'s' if exc.retries_left > 1 else ''} left."
                continue
            return Closed(THREE_WRONG if exc.retries_left == 0 else str(exc))
        except CanisterError as exc:
            message = str(exc)
            continue
        return Back(done)


async def close_window(env: Env, ui: Ui, client: IIClient, who: SignedIn) -> Back:
    ui.show(busy_screen("Closing the add-device window…"))
    try:
        await client.registration_mode_exit(who.anchor)
    except CanisterError:
        pass  # the window closes by itself after 15 minutes
    return Back()


# -- the new device --------------------------------------------------------------------------------


EXPIRED = ("This link has expired or was cancelled. On your signed-in device, start adding a device again "
           "and use the new link.")
NOT_IN_TIME = "The other device did not confirm in time. Start again from your signed-in device."


def link_problem(link: AddDeviceLink) -> Optional[str]:
    """What is wrong with the link itself, before asking the canister."""
    if link.registration_id is not None and not valid_registration_id(link.registration_id):
        return "The link is incomplete or damaged: its code must be 5 letters or digits."
    if link.registration_id is None and (link.anchor is None or link.anchor < 0):
        return "The link is incomplete or damaged: it has no identity number."
    return None


def link_problem_screen(detail: str) -> Screen:
    return Screen(screens.render_link_problem(detail), ("home",))


def join_screen(anchor: int, value: str, message: Optional[str], start) -> Screen:
    return Screen(screens.render_join(anchor, value, message), ("join", "back"), reads=(ALIAS_INPUT,),
                  starts={"join": start})


def code_screen(anchor: int, code: str, remaining: Callable[[], int]) -> Screen:
    return Screen(screens.render_code(anchor, code, remaining()), live={COUNTDOWN: lambda: screens.countdown(remaining())})


async def join(env: Env, ui: Ui, link: AddDeviceLink) -> Optional[int]:
    """This device, opened through an add-device link: its passkey proposed, shown its code, and
    added once the signed-in device confirms. The identity it joined, or None (go home)."""
    problem, anchor = link_problem(link), link.anchor
    if problem is None and link.registration_id is not None:
        ui.show(busy_screen("Reading the link…"))
        try:
            anchor = await (await env.ii()).lookup_registration_id(link.registration_id)
        except CanisterError as exc:
            problem = str(exc)
        else:
            problem = EXPIRED if anchor is None else None
    if problem is not None:
        await ui.ask(link_problem_screen(problem))
        return None
    start = start_named_passkey(env, ALIAS_INPUT, f"Identity {anchor}")
    value, message = "This device", None
    while True:
        device = await named_passkey(env, ui, lambda v, m, s: join_screen(anchor, v, m, s), start, value, message,
                                     busy="Creating this device's passkey…")
        if device is None:
            return None
        try:
            client = await env.ii()
            if link.registration_id is not None:
                code, expiration_ns = await client.authn_method_register(anchor, device)
            else:
                code, expiration_ns = await client.add_tentative_device(anchor, device)
        except DeviceError as exc:
            await ui.ask(link_problem_screen(str(exc)))
            return None
        except CanisterError as exc:
            value, message = device.alias, str(exc)
            continue

        def remaining() -> int:
            return expiration_ns - env.now_ns()

        if await ui.ask(code_screen(anchor, code, remaining), until=added(env, client, anchor, device, remaining)):
            return anchor
        await ui.ask(link_problem_screen(NOT_IN_TIME))
        return None


async def added(env: Env, client: IIClient, anchor: int, device: Device, remaining: Callable[[], int]) -> bool:
    """True once `device` is one of the identity's; False when the window ran out first."""
    while remaining() > 0:
        await env.sleep(1)
        try:
            credentials = await client.credentials(anchor)
        except CanisterError:
            continue
        if any(c.credential_id == device.credential_id for c in credentials):
            return True
    return False


async def sign_in_joined(env: Env, ui: Ui, anchor: int) -> Optional[SignedIn]:
    """The device is part of the identity: sign in with its new passkey (a click starts the prompt)."""
    keyring = Keyring(env)
    keyring.begin(remembered=(anchor,))
    if not await keyring.ready(ui, "Getting ready to sign in…"):
        return None
    while True:
        click = await ui.ask(Screen(screens.render_joined(anchor), ("sign-in",),
                                    starts={"sign-in": lambda _values: keyring.start_sign_in(anchor)}))
        who = await sign_in_started(env, ui, keyring, click.started)
        if who is not None:
            return who
