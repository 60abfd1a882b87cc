"""What a flow test needs instead of a browser: a scripted `FakeUi`, an `Env` against the real
replica in-process, an injected clock, and a signed-in identity.

`FakeUi([...])` answers each `ask` with the next scripted `Click` (or a function of the screen
returning one), after checking what the browser adapter would: the click's action is one the
screen has, and the screen's `data-action`s and `actions` are the same set. It fills the declared
`reads` from the click's values and runs the declared start for the action, as the adapter does
inside the click. A `WAIT` step (or a step function returning it) lets the screen's `until` finish and returns its result. When the
script is used up, the next `ask` raises `ScriptEnded`. The clock moves only with `Clock.sleep`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Union

from cryptography.hazmat.primitives.asymmetric import ec

from ic.agent import Agent, AsgiTransport, EcdsaIdentity, Ed25519Identity

from app.canister.client import Credential, IIClient
from app.config import AppConfig
from app.flows.authenticate import SignedIn, dummy_credential_id, dummy_device
from app.flows.env import Env
from app.protocol.request import AuthnMethod
from app.ui.screen import Click, Screen, data_actions

II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
ORIGIN = "http://localhost:4943"
WAIT = "wait for the screen's until"
Step = Union[Click, str, Callable[[Screen], Click]]


class ScriptEnded(Exception):
    """The flow asked for one more screen than the test scripted."""

    def __init__(self, screen: Screen):
        super().__init__(f"the script ended on the screen {page_of(screen)!r}")
        self.screen = screen


def page_of(screen: Screen) -> str:
    found = re.search(r'data-page="([^"]*)"', screen.markup)
    return found.group(1) if found else ""


def check_actions(screen: Screen) -> None:
    assert data_actions(screen.markup) == set(screen.actions), (
        f"{page_of(screen)}: data-action in the markup {sorted(data_actions(screen.markup))} "
        f"!= the screen's actions {sorted(screen.actions)}")


class FakeUi:
    def __init__(self, script: list[Step]):
        self.script = list(script)
        self.shown: list[Screen] = []  # every screen, in order
        self.asked: list[Screen] = []  # the screens a click ends
        self.filled: list[tuple[str, str, str]] = []  # (page on display, selector, markup) of each fill

    @property
    def pages(self) -> list[str]:
        return [page_of(s) for s in self.shown]

    @property
    def last(self) -> Screen:
        return self.shown[-1]

    def show(self, screen: Screen) -> None:
        check_actions(screen)
        self.shown.append(screen)

    def fill(self, selector: str, markup) -> None:
        """As the page does: only into a slot of the screen on display (a `data-role` selector)."""
        role = selector.removeprefix("[data-role=").removesuffix("]")
        if self.shown and f'data-role="{role}"' in self.shown[-1].markup:
            self.filled.append((page_of(self.shown[-1]), selector, str(markup)))

    async def ask(self, screen: Screen, until=None):
        check_actions(screen)
        for text in screen.live.values():
            text()
        self.shown.append(screen)
        self.asked.append(screen)
        if not self.script:
            if until is not None:
                until.close()
            raise ScriptEnded(screen)
        step = self.script.pop(0)
        click = step(screen) if callable(step) else step
        if inspect.isawaitable(click):  # a step that waits for something first (a fill)
            click = await click
        if click == WAIT:
            assert until is not None, f"{page_of(screen)} has nothing to wait for"
            return await until
        if until is not None:
            until.close()
        assert click.action in screen.actions, f"{page_of(screen)} has no action {click.action!r}"
        unknown = set(click.values) - set(screen.reads)
        assert not unknown, f"{page_of(screen)} does not read {sorted(unknown)}"
        values = {selector: click.values.get(selector, "") for selector in screen.reads}
        start = screen.starts.get(click.action)
        return Click(click.action, values, start(values) if start is not None else None)


class Clock:
    """An injected clock: starts at the replica's now and moves only when told."""

    def __init__(self) -> None:
        self.ns = time.time_ns()

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += int(seconds * 10**9)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True)
class TestSessionKey:
    identity: EcdsaIdentity

    @property
    def public_key_der(self) -> bytes:
        return self.identity.public_key_der()

    async def sign(self, message: bytes) -> bytes:
        return await self.identity.sign(message)


async def new_session_key() -> TestSessionKey:
    return TestSessionKey(EcdsaIdentity.from_cryptography_key(ec.generate_private_key(ec.SECP256R1())))


def not_in_flows(*_args: Any) -> Any:
    raise AssertionError("a converted flow reads the page only through its screens")


def make_env(replica, *, dummy_auth: bool = True, prompt_for_index: bool = False, start_create=None,
             start_get=None, storage: dict | None = None, clock: Clock | None = None,
             ui: FakeUi | None = None, prompt=None) -> Env:
    storage = {} if storage is None else storage
    clock = clock or Clock()
    return Env(
        config=AppConfig(canister_id=II, fetch_root_key=True, dummy_auth=dummy_auth,
                         dummy_auth_prompt_for_index=prompt_for_index, dummy_captcha=True),
        ui=ui or FakeUi([]), spawn=asyncio.ensure_future, transport=AsgiTransport(replica.api),
        bls_verify=None, new_session_key=new_session_key,
        start_create=start_create or not_in_flows, start_get=start_get or not_in_flows,
        random=os.urandom, now_ns=clock, sleep=clock.sleep, rp_id="localhost", origin=ORIGIN,
        load=storage.get, save=storage.__setitem__,
        copy_text=lambda _text: None, prompt=prompt or no_prompt, load_qr=load_qr,
    )


def no_prompt(message: str, _default: str) -> None:
    raise AssertionError(f"the flow asked window.prompt({message!r}) where it should not")


class FakePrompt:
    """window.prompt answering `answers` in turn (None: the person cancels); records what it asked."""

    def __init__(self, answers):
        self.answers, self.asked = list(answers), []

    def __call__(self, message: str, default: str):
        self.asked.append((message, default))
        if not self.answers:
            raise AssertionError(f"window.prompt({message!r}) asked once more than the test answers")
        return self.answers.pop(0)


async def load_qr() -> None:
    """The page loads the segno wheel; under CPython it is installed (or the test skips)."""
    import pytest

    pytest.importorskip("segno")


def client_for(replica, identity) -> IIClient:
    return IIClient(Agent(AsgiTransport(replica.api), identity, fetch_root_key=True), II)


def register(replica, *, name: str | None = None) -> tuple[SignedIn, IIClient]:
    """A new identity whose first device is a dummy-auth key; signed in as its temporary key."""
    session = Ed25519Identity.generate()
    client = client_for(replica, session)
    credential_id = dummy_credential_id(os.urandom)
    device_key = dummy_device(credential_id).public_key_der()

    async def go() -> int:
        await client.registration_start()
        await client.check_captcha("a")
        return await client.registration_finish(Credential(credential_id, device_key), alias="Passkey")

    anchor = asyncio.run(go())
    return SignedIn(anchor, session, AuthnMethod.PASSKEY, device_key), client
