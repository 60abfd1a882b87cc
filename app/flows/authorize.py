"""The authorize flow: a dapp opened this page to get a delegation (DESIGN section 4).

The protocol decisions live in `app.protocol.AuthorizeSession` (pure); this module executes its
effects through an `AuthorizePort` and connects it to signing in and to the II canister. Once a
request is valid, `choose` awaits the request screen (a remembered identity, create, use another,
lost access, forget one on this device) until someone is signed in; `autoSelectionPrincipal`
starts the preselected identity's passkey prompt at once, as the classic II did. Then, when the
identity has more than its default account for the app (or "choose an account" was ticked), the
account picker (`app.flows.accounts`) chooses whose delegation the dapp gets. The dapp's own
name and logo (`app.protocol.app_metadata`) are fetched beside all this and filled into the
request screen in place when they come (`Ui.fill`: no redraw, so no click is lost); nothing
waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Optional

from app.canister.errors import CanisterError
from app.flows.env import Env
from app.protocol import (
    AuthorizationResult, AuthorizeSession, CancelTimer, FetchAlternativeOrigins, IncomingMessage,
    PostMessage, ResolveCanisterId, ShowCompleted, ShowFailure, ShowRequest, StartTimer,
)
from app.protocol import app_metadata
from app.protocol.alternative_origins import AlternativeOriginsResponse
from app.remembered import (STORAGE_KEY, anchor_for_principal, forget, names, parse_remembered, remember,
                             serialize_remembered)
from app.ui import authorize as screens
from app.ui.screen import Click, Screen, busy_screen

CHOOSE_ACCOUNT = "#chooseAccount"

if TYPE_CHECKING:  # imported on first use: `authorize-ready` goes out before the sign-in code loads
    from app.flows.authenticate import SignedIn


@dataclass
class AuthorizePort:
    has_opener: Callable[[], bool]
    post: Callable[[dict, str], None]
    listen: Callable[[Callable[[IncomingMessage], None]], None]
    start_timer: Callable[[str, int, Callable[[], None]], None]
    cancel_timer: Callable[[str], None]
    fetch_alternative_origins: Callable[..., Awaitable[AlternativeOriginsResponse]]
    canister_id_header: Callable[[str], Awaitable[Optional[str]]]
    fetch_capped: app_metadata.Fetch  # the dapp's ii-app-metadata and its logo


class AuthorizeFlow:
    def __init__(self, env: Env, port: AuthorizePort):
        self.env, self.port = env, port
        self.session = AuthorizeSession(env.origin)
        self._keyring = None
        self.request = None
        self._auto_selected = False  # the preselected identity's prompt starts once, by itself
        self._pick_account = False  # "choose or create an account" was ticked on the request screen
        self.app: Optional[app_metadata.AppMetadata] = None  # the dapp's name and logo, once fetched

    @property
    def keyring(self):
        """Imported on first use: `authorize-ready` goes out before the sign-in code loads."""
        if self._keyring is None:
            from app.flows.authenticate import Keyring

            self._keyring = Keyring(self.env)
        return self._keyring

    def start(self) -> None:
        self.env.ui.show(busy_screen("Waiting for the dapp's request…"))
        self.port.listen(lambda message: self.apply(self.session.on_message(message)))
        self.apply(self.session.start(has_opener=self.port.has_opener()))

    def apply(self, effects: list) -> None:
        for effect in effects:
            if isinstance(effect, PostMessage):
                self.port.post(effect.message, effect.target_origin)
            elif isinstance(effect, ShowRequest):
                self.request = effect.request
                self.env.spawn(self._load_app_metadata())
                self.env.spawn(self._prepare_and_show())
            elif isinstance(effect, ShowFailure):
                self.env.ui.show(Screen(screens.render_failure(effect.title, effect.detail)))
            elif isinstance(effect, ShowCompleted):
                self.env.ui.show(Screen(screens.render_completed(effect.origin)))
            elif isinstance(effect, StartTimer):
                name = effect.name
                self.port.start_timer(name, effect.ms, lambda: self.apply(self.session.on_timer(name)))
            elif isinstance(effect, CancelTimer):
                self.port.cancel_timer(effect.name)
            elif isinstance(effect, ResolveCanisterId):
                self.env.spawn(self._resolve(effect.origin))
            elif isinstance(effect, FetchAlternativeOrigins):
                self.env.spawn(self._fetch_origins(effect))

    async def _resolve(self, origin: str) -> None:
        self.apply(self.session.on_canister_id(await self.port.canister_id_header(origin)))

    async def _fetch_origins(self, effect: FetchAlternativeOrigins) -> None:
        response = await self.port.fetch_alternative_origins(effect.url, effect.method, effect.redirect,
                                                             effect.credentials, effect.accept)
        self.apply(self.session.on_alternative_origins(response))

    async def _load_app_metadata(self) -> None:
        request = self.request
        origin = app_metadata.metadata_origin(request.request_origin, request.derivation_origin)
        self.app = await app_metadata.load(origin, self.port.fetch_capped)
        if self.app is not None:  # into the request screen if it is up; every later one has it
            self.env.ui.fill(screens.APP_SLOT, screens.render_app(self.app))

    def _remembered(self) -> tuple[int, ...]:
        return tuple(a.number for a in parse_remembered(self.env.load(STORAGE_KEY)).anchors)

    async def _prepare_and_show(self) -> None:
        self.env.ui.show(busy_screen("Preparing…"))
        try:
            await self.keyring.begin(self._remembered())
        except CanisterError as exc:
            self.apply(self.session.on_delegation_failed(str(exc)))
            return
        who = await self.choose()
        if who is not None:
            await self._signed_in(who)

    def _preselected(self) -> int | None:
        """The remembered identity behind the dapp's `autoSelectionPrincipal`, if any."""
        wanted = self.request.auto_selection_principal
        if wanted is None:
            return None
        return anchor_for_principal(parse_remembered(self.env.load(STORAGE_KEY)),
                                    self.request.frontend_origin, wanted.to_text())

    def request_screen(self, remembered, anchors: tuple[int, ...], preselected: Optional[int]) -> Screen:
        from app.flows.authenticate import start_register, start_sign_in

        keyring = self.keyring
        starts = {"register": lambda _values: start_register(self.env)}
        for anchor in anchors:
            starts[f"pick-{anchor}"] = (lambda a: lambda _values: keyring.start_sign_in(a))(anchor)
        actions = ("register", "login", "cancel", "recover",
                   *(f"{verb}-{a}" for a in anchors for verb in ("pick", "forget")))
        return Screen(screens.render_request(self.request.request_origin, self.request.derivation_origin, anchors,
                                             preselected=preselected, names=names(remembered), app=self.app),
                      actions, reads=(CHOOSE_ACCOUNT,), starts=starts)

    async def choose(self) -> Optional[SignedIn]:
        """The request screen until someone is signed in (None: cancelled, the session answered)."""
        from app.flows.authenticate import create_identity, sign_in_started, use_existing
        from app.flows.recovery import recover

        env, ui, keyring = self.env, self.env.ui, self.keyring
        while True:
            remembered = parse_remembered(env.load(STORAGE_KEY))
            anchors = tuple(a.number for a in remembered.anchors)
            preselected = self._preselected()
            if preselected is not None:
                anchors = (preselected, *[a for a in anchors if a != preselected])
            if preselected is not None and not self._auto_selected and not env.config.dummy_auth:
                # As the classic II did: the dapp named this identity, so its passkey prompt starts
                # at once (a browser that wants a click first refuses it; then one picks by hand).
                self._auto_selected = True
                ui.show(self.request_screen(remembered, anchors, preselected))
                click = Click(f"pick-{preselected}", started=keyring.start_sign_in(preselected))
            else:
                click = await ui.ask(self.request_screen(remembered, anchors, preselected))
            verb, _, anchor = click.action.partition("-")
            self._pick_account = click.checked(CHOOSE_ACCOUNT)
            if click.action == "cancel":
                self.apply(self.session.on_user_cancel())
                return None
            if verb == "forget":  # on this device only: the canister keeps the identity
                if remembered.writable:
                    env.save(STORAGE_KEY, serialize_remembered(forget(remembered, int(anchor))))
                continue
            if click.action == "register":
                who = await create_identity(env, ui, click.started, keyring.session_key)
            elif click.action == "login":
                who = await use_existing(env, ui, keyring.session_key, keyring.credentials)
            elif click.action == "recover":
                who = await recover(env, ui)
            else:
                who = await sign_in_started(env, ui, keyring, click.started)
            if who is not None:
                return who

    async def _signed_in(self, signed_in) -> None:
        from app.flows.accounts import choose_account, needs_picker

        request = self.request
        self.env.ui.show(busy_screen(f"Signing in to {request.request_origin}…"))
        anchor, origin = signed_in.anchor, request.frontend_origin
        try:
            client = await self.env.ii(signed_in.identity)
            accounts = await client.accounts(anchor, origin)
            account = accounts[0]
            if needs_picker(accounts, self._pick_account):
                account = await choose_account(self.env.ui, client, anchor, origin, accounts)
                if account is None:
                    self.apply(self.session.on_user_cancel())
                    return
                self.env.ui.show(busy_screen(f"Signing in to {request.request_origin}…"))
            if self.session.attributes_request is not None:  # ii-icrc3-attributes: consent, then certify
                from app.flows.attributes import share_attributes

                self.apply(await share_attributes(self.env, self.session, client, anchor, account.number))
                self.env.ui.show(busy_screen(f"Signing in to {request.request_origin}…"))
            if account.number is None:  # the default account: the classic principal, the classic call
                chain = await client.delegation(anchor, origin, request.session_public_key,
                                                request.max_time_to_live_ns)
            else:
                chain = await client.account_delegation(anchor, origin, account.number, request.session_public_key,
                                                        request.max_time_to_live_ns)
        except CanisterError as exc:
            self.apply(self.session.on_delegation_failed(str(exc)))
            return
        effects = self.session.on_authenticated(AuthorizationResult(chain, signed_in.authn_method))
        self._remember_principal(signed_in.anchor, request.frontend_origin, chain.public_key)
        self.apply(effects)

    def _remember_principal(self, anchor: int, origin: str, user_key: bytes) -> None:
        from ic.principal import Principal

        current = parse_remembered(self.env.load(STORAGE_KEY))
        if current.writable:
            principal = Principal.self_authenticating(user_key).to_text()
            self.env.save(STORAGE_KEY, serialize_remembered(remember(
                current, anchor, self.env.now_ns() // 10**6, origin=origin, principal=principal)))
