"""Boot and routing of the II page (the `<script type="py">` of index.html awaits `boot`).

Builds the ports of `app.flows.env.Env` from `app.browser`, then shows the screen the URL asks
for: `#authorize` or `/authorize` (a dapp's popup), `#diagnostics`, or the landing page.
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import parse_qs

from app.browser import dom, page
from app.config import AppConfig, ConfigError
from app.routing import Route, add_device_link, route_for
from app.ui.landing import render_landing
from app.ui.markup import card, text

# The first screen needs only the modules above. The flows (and the IC libraries under them)
# are imported after it is shown, a module at a time between event-loop turns: compiling them
# takes Pyodide about a second, which the person would otherwise wait for in front of a
# spinner (bench/boot.py). A click that arrives earlier imports what it needs at once.
FLOW_MODULES = ("ic.cbor", "ic.principal", "ic.candid", "ic.keys", "ic.webauthn", "ic.delegation",
                "ic.certificate", "ic.agent", "app.canister.client", "app.protocol",
                "app.flows.authenticate", "app.flows.authorize", "app.flows.manage")

QR_WHEEL = "/static/vendor/wheels/segno.whl"  # loaded when a QR code is first shown

_tasks: set[asyncio.Task] = set()


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
        config=config, show=dom.show, spawn=spawn, transport=FetchTransport(page.origin()),
        bls_verify=bls_verify, new_session_key=generate_session_key,
        start_create=credentials.start_create, start_get=credentials.start_get,
        random=page.random_bytes, now_ns=page.now_ns,
        rp_id=page.hostname(), origin=page.origin(), load=storage.load, save=storage.save,
        input_value=dom.input_value, is_checked=dom.is_checked, copy_text=page.copy_text,
        set_text=dom.set_text, load_qr=lambda: wheels.load_wheel(QR_WHEEL),
    )


class Lazy:
    """Builds its value on first use (after the flow modules are imported)."""

    def __init__(self, build):
        self._build, self._value = build, None

    def __call__(self):
        if self._value is None:
            self._value = self._build()
        return self._value


def show_landing(env_of: Lazy) -> None:
    def build():
        from app.flows.authenticate import Authenticator

        async def signed_in(who) -> None:
            show_manage(env_of, who)

        authenticator = Authenticator(env_of(), signed_in, lambda: show_landing(env_of))
        spawn(authenticator.prepare())
        return authenticator

    authenticator = Lazy(build)
    dom.show(render_landing(), {
        "register": lambda event: authenticator().start_register(event),
        "login": lambda event: authenticator().show_sign_in(event),
        "recover": lambda event: start_recovery(env_of, event),
        "diagnostics": lambda _e: page.set_fragment("diagnostics"),
    })
    spawn(warm_up(authenticator))


def show_manage(env_of: Lazy, who) -> None:
    """The signed-in person's identity: passkeys, recovery methods, adding devices, signing out."""
    from app.flows.manage import Manage

    Manage(env_of(), who, signed_out=lambda: show_landing(env_of)).show()


def start_recovery(env_of: Lazy, event) -> None:
    """"Lost access?": a recovery phrase or a recovery security key, then the manage page."""
    from app.flows.recovery import Recover

    Recover(env_of(), done=lambda who: show_manage(env_of, who), back=lambda: show_landing(env_of)).start(event)


async def warm_up(authenticator: Lazy) -> None:
    await preload_flows()
    authenticator()  # the session key is ready before the first click


def show_diagnostics() -> None:
    from app.browser import credentials
    from app.flows.diagnostics import run_passkey_check
    from app.ui.diagnostics import render_diagnostics

    checks = {"Python": sys.version.split()[0], **page.browser_facts()}

    def run(_event) -> None:
        # The WebAuthn call starts inside the click handler, before any await (user activation).
        pending_flow = run_passkey_check(page.hostname(), page.origin(), page.random_bytes,
                                         start_create=credentials.start_create,
                                         start_get=credentials.start_get)
        spawn(finish(pending_flow))

    async def finish(flow) -> None:
        try:
            result = await flow
        except Exception as exc:  # shown to the person; the check is over either way
            dom.show(render_diagnostics(checks, error=str(exc)), handlers)
        else:
            dom.show(render_diagnostics(checks, result=result), handlers)

    handlers = {"diagnostics-run": run, "home": lambda _e: page.set_fragment("")}
    dom.show(render_diagnostics(checks), handlers)


def authorize_port():
    from app.browser import messaging
    from app.flows.authorize import AuthorizePort

    return AuthorizePort(
        has_opener=messaging.has_opener, post=messaging.post_to_opener, listen=messaging.listen,
        start_timer=messaging.start_timer, cancel_timer=messaging.cancel_timer,
        fetch_alternative_origins=messaging.fetch_alternative_origins,
        canister_id_header=messaging.canister_id_header)


def show_add_device(env_of: Lazy) -> None:
    """This device opened an add-device link: join the identity, then manage it."""
    from app.flows.add_device import NewDevice

    link = add_device_link(page.path(), page.query(), page.fragment())
    canister = parse_qs(page.query().lstrip("?")).get("canisterId")  # the `localhost?canisterId=` form
    page.replace_url("/" + (f"?canisterId={canister[0]}" if canister else ""))  # used once; a reload lands

    def home() -> None:
        show_landing(env_of)

    NewDevice(env_of(), link, done=lambda who: show_manage(env_of, who), home=home).start()


def show_route(env_of: Lazy) -> None:
    route = route_for(page.path(), page.fragment(), page.query())
    if route is Route.AUTHORIZE:
        from app.flows.authorize import AuthorizeFlow  # the dapp waits for authorize-ready

        AuthorizeFlow(env_of(), authorize_port()).start()
    elif route is Route.DIAGNOSTICS:
        show_diagnostics()
    elif route is Route.ADD_DEVICE:
        show_add_device(env_of)
    else:
        show_landing(env_of)


async def boot() -> None:
    try:
        config = page.read_config()
    except ConfigError as exc:
        dom.show(card("error", f'<p id="errorContainer" class="error" role="alert">{text(exc)}</p>'), {})
        dom.set_app_state("error")
        return
    env_of = Lazy(lambda: build_env(config))
    show_route(env_of)
    page.on_fragment_change(
        lambda: route_for(page.path(), page.fragment(), page.query()) is not Route.AUTHORIZE and show_route(env_of))
    dom.set_app_state("ready")
