"""Adding a passkey from another device (ii-facts §5 "Tentative device", §6 add-device screens).

The signed-in device (`AddFromAnotherDevice`) opens the 15-minute window with a registration id
(v2 `authn_method_registration_mode_enter`), shows the current link `/pair#<id>` (and as a QR
code) and the classic `/?action=add-passkey&ii=<number>`, and watches `get_anchor_info` until a
device waits; the person types the code the new device shows (`authn_method_confirm`: 3 tries).

The new device (`NewDevice`) opens a link, creates its passkey and proposes it: through the link it
came by, v2 (`lookup_by_registration_mode_id` + `authn_method_register`) or v1
(`add_tentative_device`). Both land in the canister's one registration state, so either confirm
call accepts it. It shows the 6-digit code, waits until the passkey is part of the identity, then
signs in with it.
"""

from __future__ import annotations

import asyncio
import string
from typing import Callable, Optional

from ic.errors import ICError

from app.canister.client import DeviceError, IIClient
from app.canister.devices import Device
from app.flows.authenticate import Authenticator, SignedIn
from app.flows.env import Env
from app.flows.manage import explain
from app.flows.new_passkey import NewPasskey, finish_new_passkey, read_alias, start_new_passkey
from app.passkeys import PasskeyError
from app.routing import AddDeviceLink, valid_registration_id
from app.ui import add_device as screens
from app.ui import auth as auth_screens

POLL_S = 2.0
ID_ALPHABET = string.ascii_letters + string.digits


def registration_id(random: bytes) -> str:
    """5 alphanumerics from 5 random bytes (the canister's `RegistrationId`)."""
    return "".join(ID_ALPHABET[b % len(ID_ALPHABET)] for b in random[:5])


class _Screen:
    """A generation counter: a background loop stops once its screen is replaced."""

    def __init__(self) -> None:
        self.generation = 0

    def next(self) -> int:
        self.generation += 1
        return self.generation

    def current(self, generation: int) -> bool:
        return generation == self.generation


class AddFromAnotherDevice:
    def __init__(self, env: Env, who: SignedIn, back: Callable[..., None]):
        self.env, self.who, self.back = env, who, back
        self.screen = _Screen()
        self.expiration_ns = 0

    def start(self) -> None:
        self.screen.next()
        self.env.show(auth_screens.render_busy("Opening the add-device window…"), {})
        self.env.spawn(self._open())

    async def _client(self) -> IIClient:
        return await self.env.ii(self.who.identity)

    async def _open(self) -> None:
        link = AddDeviceLink(registration_id=registration_id(self.env.random(5)))
        try:
            client = await self._client()
            self.expiration_ns = await client.registration_mode_enter(self.who.anchor, link.registration_id)
            await self.env.load_qr()
        except (ICError, DeviceError, RuntimeError) as exc:
            self.back(explain(exc), error=True)
            return
        from app.qr import qr_svg

        url = link.url(self.env.origin)
        classic = AddDeviceLink(anchor=self.who.anchor).url(self.env.origin)
        generation = self.screen.next()
        self.env.show(screens.render_offer(url, classic, qr_svg(url, label="QR code of the add-device link"),
                                           self._remaining()), {"cancel": lambda _e: self._cancel()})
        self.env.spawn(self._tick(generation))
        self.env.spawn(self._watch(generation, client))

    def _remaining(self) -> int:
        return self.expiration_ns - self.env.now_ns()

    async def _tick(self, generation: int) -> None:
        while self.screen.current(generation) and self._remaining() > 0:
            self.env.set_text("[data-role=countdown]", screens.countdown(self._remaining()))
            await asyncio.sleep(1)

    async def _watch(self, generation: int, client: IIClient) -> None:
        while self.screen.current(generation):
            await asyncio.sleep(POLL_S)
            if not self.screen.current(generation):
                return
            try:
                registration = (await client.anchor_info(self.who.anchor)).registration
            except ICError:
                continue  # a lost poll is retried; the countdown shows how long is left
            if not self.screen.current(generation):
                return
            if registration is None:
                self._closed("The 15 minutes to add a device have passed.")
                return
            if registration.device is not None:
                self._verify(registration.device)
                return

    def _verify(self, device: Device, message: Optional[str] = None) -> None:
        generation = self.screen.next()

        def confirm(_e) -> None:
            code = self.env.input_value("#tentativeDeviceCode").strip()
            if not (len(code) == 6 and code.isdigit()):
                self._verify(device, "The code has 6 digits.")
                return
            self.screen.next()
            self.env.show(auth_screens.render_busy("Confirming…"), {})
            self.env.spawn(self._confirm(device, code))

        self.env.show(screens.render_verify(device.alias, self._remaining(), message),
                      {"verify": confirm, "cancel": lambda _e: self._cancel()})
        self.env.spawn(self._tick(generation))

    async def _confirm(self, device: Device, code: str) -> None:
        try:
            await (await self._client()).authn_method_confirm(self.who.anchor, code)
        except DeviceError as exc:
            if exc.retries_left:
                self._verify(device, f"That code is not right. {exc.retries_left} "
                                     f"attempt{'s' if exc.retries_left > 1 else ''} left.")
            elif exc.retries_left == 0:
                self._closed("That code was not right three times, so the device was not added.")
            else:
                self._closed(str(exc))
            return
        except ICError as exc:
            self._verify(device, explain(exc))
            return
        self.back(f"“{device.alias}” was added.")

    def _closed(self, detail: str) -> None:
        self.screen.next()
        self.env.show(screens.render_closed(detail), {"retry": lambda _e: self.start(),
                                                      "back": lambda _e: self.back()})

    def _cancel(self) -> None:
        self.screen.next()
        self.env.show(auth_screens.render_busy("Closing the add-device window…"), {})

        async def close() -> None:
            try:
                await (await self._client()).registration_mode_exit(self.who.anchor)
            except (ICError, DeviceError):
                pass  # the window closes by itself after 15 minutes
            self.back()

        self.env.spawn(close())


class NewDevice:
    """This device, opened through an add-device link."""

    def __init__(self, env: Env, link: AddDeviceLink, done: Callable[[SignedIn], None], home: Callable[[], None]):
        self.env, self.link, self.done, self.home = env, link, done, home
        self.screen = _Screen()
        self.anchor: Optional[int] = None

    def start(self) -> None:
        if self.link.registration_id is not None and not valid_registration_id(self.link.registration_id):
            self._problem("The link is incomplete or damaged: its code must be 5 letters or digits.")
            return
        if self.link.registration_id is None and (self.link.anchor is None or self.link.anchor < 0):
            self._problem("The link is incomplete or damaged: it has no identity number.")
            return
        self.env.show(auth_screens.render_busy("Reading the link…"), {})
        self.env.spawn(self._resolve())

    async def _resolve(self) -> None:
        if self.link.registration_id is not None:
            try:
                self.anchor = await (await self.env.ii()).lookup_registration_id(self.link.registration_id)
            except ICError as exc:
                self._problem(explain(exc))
                return
            if self.anchor is None:
                self._problem("This link has expired or was cancelled. On your signed-in device, start adding a "
                              "device again and use the new link.")
                return
        else:
            self.anchor = self.link.anchor
        self._ask(None, "This device")

    def _problem(self, detail: str) -> None:
        self.env.show(screens.render_link_problem(detail), {"home": lambda _e: self.home()})

    def _ask(self, message: Optional[str], value: str) -> None:
        self.env.show(screens.render_join(self.anchor, value, message),
                      {"join": self._create, "back": lambda _e: self.home()})

    def _create(self, _event) -> None:
        """In the click: the passkey prompt starts before anything is awaited."""
        raw, alias, problem = read_alias(self.env)
        if alias is None:
            self._ask(problem, raw)
            return
        new = start_new_passkey(self.env, alias, f"Identity {self.anchor}")
        self.env.show(auth_screens.render_busy("Creating this device's passkey…"), {})
        self.env.spawn(self._created(new))

    async def _created(self, new: NewPasskey) -> None:
        try:
            device = await finish_new_passkey(self.env, new)
        except PasskeyError as exc:
            self._ask(str(exc), new.alias)
            return
        await self._propose(device)

    async def _propose(self, device: Device) -> None:
        try:
            client = await self.env.ii()
            if self.link.registration_id is not None:
                code, expiration = await client.authn_method_register(self.anchor, device)
            else:
                code, expiration = await client.add_tentative_device(self.anchor, device)
        except DeviceError as exc:
            self._problem(str(exc))
            return
        except ICError as exc:
            self._ask(explain(exc), device.alias)
            return
        generation = self.screen.next()
        self.env.show(screens.render_code(self.anchor, code, expiration - self.env.now_ns()), {})
        self.env.spawn(self._wait(generation, client, device, expiration))

    async def _wait(self, generation: int, client: IIClient, device: Device, expiration: int) -> None:
        while self.screen.current(generation):
            remaining = expiration - self.env.now_ns()
            self.env.set_text("[data-role=countdown]", screens.countdown(remaining))
            if remaining <= 0:
                self._problem("The other device did not confirm in time. Start again from your signed-in device.")
                return
            await asyncio.sleep(1)
            try:
                credentials = await client.credentials(self.anchor)
            except ICError:
                continue
            if any(c.credential_id == device.credential_id for c in credentials):
                self._joined()
                return

    def _joined(self) -> None:
        self.screen.next()
        authenticator = Authenticator(self.env, self._signed_in, self.home)

        async def prepare() -> None:
            await authenticator.prepare(remembered=(self.anchor,))
            self.env.show(screens.render_joined(self.anchor),
                          {"sign-in": lambda _e: authenticator.sign_in(self.anchor)})

        self.env.show(auth_screens.render_busy("Getting ready to sign in…"), {})
        self.env.spawn(prepare())

    async def _signed_in(self, who: SignedIn) -> None:
        self.done(who)
