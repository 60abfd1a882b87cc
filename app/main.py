"""Boot and routing of the II page (the `<script type="py">` of index.html awaits `boot`).

Builds the ports of `app.flows.env.Env` from `app.browser`, then shows the screen the URL asks
for: `#authorize` or `/authorize` (a dapp's popup), `#diagnostics`, or the landing page.
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import parse_qs

from app.browser import dom, page
from app.browser.ui import BrowserUi
from app.config import AppConfig, ConfigError
from app.routing import Route, activate_link, add_device_link, route_for
from app.ui.landing import render_landing
from app.ui.markup import card, html
from app.ui.screen import Screen, busy_screen

# The first screen needs only the modules above. The flows (and the IC libraries under them)
# are imported after it is shown, a module at a time between event-loop turns: compiling them
# takes Pyodide about a second, which the person would otherwise wait for in front of a
# spinner (bench/boot.py). A click that arrives earlier imports what it needs at once.
FLOW_MODULES = ("ic.cbor", "ic.principal", "ic.candid", "ic.keys", "ic.webauthn", "ic.delegation",
                "ic.certificate", "ic.agent", "app.canister.client", "app.protocol",
                "app.flows.authenticate", "app.flows.authorize", "app.flows.manage")

QR_WHEEL = "/static/vendor/wheels/segno.whl"  # loaded when a QR code is first shown

_tasks: set[asyncio.Task] = set()
UI = BrowserUi()  # every screen goes through it, so a new one cancels what the last one awaited


def spawn(coroutine) -> None:
    """Run a flow in the background, keeping a reference so it is not collected mid-way."""
    task = asyncio.ensure_future(coroutine)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def preload_flows() -> None:
    import importlib

    for name in FLOW_MODULES:
        await asyncio.sleep(0)
        importlib.import_module(name)


def build_env(config: AppConfig):
    from app.browser import credentials, storage, wheels
    from app.browser.bls import bls_verify
    from app.browser.transport import FetchTransport
    from app.browser.webcrypto import generate_session_key
    from app.flows.env import Env

    return Env(
        config=config, ui=UI, spawn=spawn, transport=FetchTransport(page.origin()),
        bls_verify=bls_verify, new_session_key=generate_session_key,
        start_create=credentials.start_create, start_get=credentials.start_get,
        random=page.random_bytes, now_ns=page.now_ns,
        rp_id=page.hostname(), origin=page.origin(), load=storage.load, save=storage.save,
        copy_text=page.copy_text, prompt=page.prompt, load_qr=lambda: wheels.load_wheel(QR_WHEEL),
    )


class Lazy:
    """Builds its value on first use (after the flow modules are imported)."""

    def __init__(self, build):
        self._build, self._value = build, None

    def __call__(self):
        if self._value is None:
            self._value = self._build()
        return self._value


LANDING_ACTIONS = ("register", "login", "recover", "diagnostics", "pair")


async def home(env_of: Lazy, who=None) -> None:
    """The landing page until someone creates, signs in to or recovers an identity; then its
    manage page, and the landing page again once they sign out. Ends when they leave for the
    browser check."""
    def new_keyring():
        from app.flows.authenticate import Keyring  # after the first screen (FLOW_MODULES)

        return Keyring(env_of())

    keyring = Lazy(new_keyring)
    spawn(warm_up(keyring))
    while True:
        if who is None:
            who = await landing(env_of, keyring)
            if who is False:
                return
        if who is not None:
            from app.flows.manage import manage

            await manage(env_of(), UI, who)
            who = None


async def landing(env_of: Lazy, keyring: Lazy):
    """One turn of the landing page: who signed in (None: they came back), or False (they left)."""
    def start_register(_values):
        from app.flows.authenticate import start_register

        return start_register(env_of())  # the passkey prompt starts inside the click

    click = await UI.ask(Screen(render_landing(), LANDING_ACTIONS, starts={"register": start_register}))
    if click.action == "diagnostics":
        page.set_fragment("diagnostics")
        return False
    from app.flows.authenticate import create_identity, use_existing

    env = env_of()
    if click.action == "register":
        return await create_identity(env, UI, click.started, keyring().session_key)
    if click.action == "login":
        if not await keyring().ready(UI):
            return None
        return await use_existing(env, UI, keyring().session_key, keyring().credentials)
    if click.action == "pair":  # "Sign in from another device": this one is the new device
        from app.flows.pair import sign_in_from_another_device

        return await sign_in_from_another_device(env, UI)
    from app.flows.recovery import recover  # "Lost access?": a recovery phrase or security key

    return await recover(env, UI)


async def warm_up(keyring: Lazy) -> None:
    await preload_flows()
    keyring().begin()  # the session key is ready before the first click


async def diagnostics() -> None:
    """The browser check: what this browser supports, and a passkey round trip on request."""
    from app.browser import credentials
    from app.flows.diagnostics import run_passkey_check
    from app.ui.diagnostics import render_diagnostics

    checks = {"Python": sys.version.split()[0], **page.browser_facts()}

    def check(_values):
        # The WebAuthn call starts inside the click, before any await (user activation).
        return run_passkey_check(page.hostname(), page.origin(), page.random_bytes,
                                 start_create=credentials.start_create, start_get=credentials.start_get)

    outcome: dict = {}
    while True:
        click = await UI.ask(Screen(render_diagnostics(checks, **outcome), ("diagnostics-run", "home"),
                                    starts={"diagnostics-run": check}))
        if click.action == "home":
            page.set_fragment("")
            return
        try:
            outcome = {"result": await click.started}
        except Exception as exc:  # shown to the person; the check is over either way
            outcome = {"error": str(exc)}


def authorize_port():
    from app.browser import messaging
    from app.browser.app_metadata import fetch_capped
    from app.flows.authorize import AuthorizePort

    return AuthorizePort(
        has_opener=messaging.has_opener, post=messaging.post_to_opener, listen=messaging.listen,
        start_timer=messaging.start_timer, cancel_timer=messaging.cancel_timer,
        fetch_alternative_origins=messaging.fetch_alternative_origins,
        canister_id_header=messaging.canister_id_header, fetch_capped=fetch_capped)


async def add_device(env_of: Lazy) -> None:
    """This device opened an add-device link: join the identity, sign in with the new passkey,
    then manage the identity."""
    from app.flows.add_device import join, sign_in_joined

    link = add_device_link(page.path(), page.query(), page.fragment())
    canister = parse_qs(page.query().lstrip("?")).get("canisterId")  # the `localhost?canisterId=` form
    page.replace_url("/" + (f"?canisterId={canister[0]}" if canister else ""))  # used once; a reload lands
    UI.show(busy_screen("Reading the link…"))  # at once, as the page turns ready
    anchor = await join(env_of(), UI, link)
    await home(env_of, None if anchor is None else await sign_in_joined(env_of(), UI, anchor))


async def activate(env_of: Lazy) -> None:
    """This signed-in device opened a new device's `/activate#<id>` link: let it in, then manage."""
    from app.flows.authenticate import Keyring
    from app.flows.pair import activate as let_in

    reg_id = activate_link(page.path(), page.fragment()) or ""
    page.replace_url("/" + page.query())  # used once; a reload lands on the landing page
    keyring = Keyring(env_of())
    keyring.begin()
    who = await let_in(env_of(), UI, reg_id, keyring)
    await home(env_of, who)


def show_route(env_of: Lazy) -> None:
    route = route_for(page.path(), page.fragment(), page.query())
    if route is Route.AUTHORIZE:
        from app.flows.authorize import AuthorizeFlow  # the dapp waits for authorize-ready

        AuthorizeFlow(env_of(), authorize_port()).start()
    elif route is Route.DIAGNOSTICS:
        spawn(diagnostics())
    elif route is Route.ADD_DEVICE:
        spawn(add_device(env_of))
    elif route is Route.ACTIVATE:
        spawn(activate(env_of))
    else:
        spawn(home(env_of))


async def boot() -> None:
    try:
        config = page.read_config()
    except ConfigError as exc:
        UI.show(Screen(card("error", html('<p id="errorContainer" class="error" role="alert">{}</p>', exc))))
        dom.set_app_state("error")
        return
    env_of = Lazy(lambda: build_env(config))
    show_route(env_of)
    for _ in range(10):  # the route's task shows its first screen in its first step
        if UI.showing:
            break
        await asyncio.sleep(0)
    page.on_fragment_change(
        lambda: route_for(page.path(), page.fragment(), page.query()) is not Route.AUTHORIZE and show_route(env_of))
    dom.set_app_state("ready")
