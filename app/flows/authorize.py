"""The authorize flow: a dapp opened this page to get a delegation (DESIGN section 4).

The protocol decisions live in `app.protocol.AuthorizeSession` (pure); this module executes its
effects through an `AuthorizePort` and connects it to signing in and to the II canister.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from ic.errors import ICError

from app.flows.env import Env
from app.protocol import (
    AuthorizationResult, AuthorizeSession, CancelTimer, FetchAlternativeOrigins, IncomingMessage,
    PostMessage, ResolveCanisterId, ShowCompleted, ShowFailure, ShowRequest, StartTimer,
)
from app.protocol.alternative_origins import AlternativeOriginsResponse
from app.remembered import STORAGE_KEY, anchor_for_principal, parse_remembered, remember, serialize_remembered
from app.ui import auth as auth_screens
from app.ui import authorize as screens


@dataclass
class AuthorizePort:
    has_opener: Callable[[], bool]
    post: Callable[[dict, str], None]
    listen: Callable[[Callable[[IncomingMessage], None]], None]
    start_timer: Callable[[str, int, Callable[[], None]], None]
    cancel_timer: Callable[[str], None]
    fetch_alternative_origins: Callable[..., Awaitable[AlternativeOriginsResponse]]
    canister_id_header: Callable[[str], Awaitable[Optional[str]]]


class AuthorizeFlow:
    def __init__(self, env: Env, port: AuthorizePort):
        self.env, self.port = env, port
        self.session = AuthorizeSession(env.origin)
        self._authenticator = None
        self.request = None

    @property
    def authenticator(self):
        """Imported on first use: `authorize-ready` goes out before the sign-in code loads."""
        if self._authenticator is None:
            from app.flows.authenticate import Authenticator

            self._authenticator = Authenticator(self.env, self._signed_in, self._show_request)
        return self._authenticator

    def start(self) -> None:
        self.env.show(auth_screens.render_busy("Waiting for the dapp's request…"), {})
        self.port.listen(lambda message: self.apply(self.session.on_message(message)))
        self.apply(self.session.start(has_opener=self.port.has_opener()))

    def apply(self, effects: list) -> None:
        for effect in effects:
            if isinstance(effect, PostMessage):
                self.port.post(effect.message, effect.target_origin)
            elif isinstance(effect, ShowRequest):
                self.request = effect.request
                self.env.spawn(self._prepare_and_show())
            elif isinstance(effect, ShowFailure):
                self.env.show(screens.render_failure(effect.title, effect.detail), {})
            elif isinstance(effect, ShowCompleted):
                self.env.show(screens.render_completed(effect.origin), {})
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

    def _remembered(self) -> tuple[int, ...]:
        return tuple(a.number for a in parse_remembered(self.env.load(STORAGE_KEY)).anchors)

    async def _prepare_and_show(self) -> None:
        self.env.show(auth_screens.render_busy("Preparing…"), {})
        try:
            await self.authenticator.prepare(self._remembered())
        except ICError as exc:
            self.apply(self.session.on_delegation_failed(f"Internet Identity could not be reached: {exc}"))
            return
        self._show_request()

    def _preselected(self) -> int | None:
        """The remembered identity behind the dapp's `autoSelectionPrincipal`, if any."""
        wanted = self.request.auto_selection_principal
        if wanted is None:
            return None
        return anchor_for_principal(parse_remembered(self.env.load(STORAGE_KEY)),
                                    self.request.frontend_origin, wanted.to_text())

    def _show_request(self) -> None:
        anchors = self._remembered()
        preselected = self._preselected()
        if preselected is not None:
            anchors = (preselected, *[a for a in anchors if a != preselected])
        handlers = {
            "register": self.authenticator.start_register,
            "login": self.authenticator.show_sign_in,
            "cancel": lambda _e: self.apply(self.session.on_user_cancel()),
            "recover": self._recover,
        }
        for anchor in anchors:
            handlers[f"pick-{anchor}"] = (lambda a: lambda _e: self.authenticator.sign_in(a))(anchor)
        self.env.show(screens.render_request(self.request.request_origin, self.request.derivation_origin, anchors,
                                             preselected=preselected), handlers)

    def _recover(self, event) -> None:
        """Lost access: recover the identity, then authorize with it."""
        from app.flows.recovery import Recover

        Recover(self.env, done=lambda who: self.env.spawn(self._signed_in(who)), back=self._show_request).start(event)

    async def _signed_in(self, signed_in) -> None:
        request = self.request
        self.env.show(auth_screens.render_busy(f"Signing in to {request.request_origin}…"), {})
        try:
            client = await self.env.ii(signed_in.identity)
            chain = await client.delegation(signed_in.anchor, request.frontend_origin,
                                            request.session_public_key, request.max_time_to_live_ns)
        except (ICError, RuntimeError) as exc:
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
