"""Client authentication protocols of the II frontend as one I/O-free state machine.

`AuthorizeSession` answers both the legacy `authorize-client` protocol (@dfinity/auth-client) and
the ICRC-29/25/34 JSON-RPC protocol (@icp-sdk/auth) on `#authorize` and `/authorize`: the first
valid message from `window.opener` decides which one the dapp speaks. Events go in (`start`,
`on_message`, `on_timer`, `on_canister_id`, `on_alternative_origins`, `on_authenticated`,
`on_delegation_failed`, `on_user_cancel`); each returns the effects to execute, in order
(`effects.py`). Nothing here touches the browser, the network or a clock.

The sequence (ii-facts §1, §1b; issue 5 item 6):

1. `start(has_opener=True)` -> post `{kind: "authorize-ready"}` to the opener (target `"*"`) and
   wait 10 s (timer `request`) for the first message. Without an opener -> failure screen.
2. From the opener only (others are ignored, as are messages from II's own origin):
   - legacy `authorize-client` -> validated; an invalid one is answered with
     `authorize-client-failure` naming the field, to the sender's origin, and ends the session;
   - JSON-RPC -> `icrc29_status` or `icrc34_delegation` binds the ICRC channel to the sender's
     origin; `icrc29_status` is answered `"ready"` and keeps the channel alive (timer `heartbeat`,
     10 s); ICRC-25 queries are answered; `icrc34_delegation` carries the request (invalid params ->
     -32602). Queries and unknown methods before that are answered where they came from but bind
     nothing and stop no timer, so they cannot shut out a later request of either protocol.
   Later `authorize-client` duplicates are ignored (AuthClient sends one per `authorize-ready`).
   Anything else is junk: ignored at O(1) cost, starting no timer and storing nothing (issue 11
   item 7), so the first request after any flood is served, or the request timer fires.
3. A `derivationOrigin` other than the dapp's own origin is checked against the derivation
   origin's `/.well-known/ii-alternative-origins` (effects `ResolveCanisterId`, then
   `FetchAlternativeOrigins`). Refused -> failure to the dapp and on screen.
4. `ShowRequest(request)`: the flow layer signs the user in and computes the delegation through the
   II canister, then calls `on_authenticated(AuthorizationResult)` -> the success message goes to
   the request's origin only, and `ShowCompleted`. II never closes its own window: the dapp does.

`ii-icrc3-attributes` (once the channel is bound, at most one at a time) waits for the sign-in: the
flow layer reads `attributes_request` after the person signed in, asks for consent and answers with
`on_attributes` (or `on_attributes_failed`) before the delegation. Its `icrc95DerivationOrigin`, if
any, must be the sign-in request's (verified) one. Still unanswered when the session ends, it gets
the same error as the sign-in request.

Timeouts post nothing: before a request II does not know the dapp's origin, and a lost ICRC
channel means the dapp window is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from app.protocol import icrc, legacy
from app.protocol.alternative_origins import (
    AlternativeOriginsResponse,
    OriginCheck,
    alternative_origins_url,
    canister_id_from_hostname,
    check_alternative_origins,
    needs_check,
    parse_canister_id_header,
)
from app.protocol.effects import (
    CancelTimer,
    Effect,
    FetchAlternativeOrigins,
    PostMessage,
    ResolveCanisterId,
    ShowCompleted,
    ShowFailure,
    ShowRequest,
    StartTimer,
)
from app.protocol.errors import InvalidRequest
from app.protocol.icrc import AttributesRequest, ErrorCode, RpcId
from app.protocol.request import (
    AuthorizationRequest, AuthorizationResult, Protocol, is_origin, remap_gateway_alias,
)
from app.protocol.values import IncomingMessage

REQUEST_TIMER = "request"
HEARTBEAT_TIMER = "heartbeat"
REQUEST_TIMEOUT_MS = 10_000  # classic II's TIMEOUT_WAIT_FOR_REQUEST; ICRC-29 establish timeout
HEARTBEAT_TIMEOUT_MS = 10_000  # II's ICRC-29 disconnect timeout
USER_INTERRUPT = "UserInterrupt"  # AuthClient's own error text when the user leaves the sign-in
# The keys the adapter reads of any object in a message (values.py): all that either protocol uses.
MESSAGE_FIELDS = tuple(dict.fromkeys(legacy.REQUEST_FIELDS + icrc.ENVELOPE_FIELDS + icrc.PARAMS_FIELDS))


class Phase(str, Enum):
    NOT_STARTED = "not_started"
    WAITING_FOR_REQUEST = "waiting_for_request"
    CHECKING_DERIVATION_ORIGIN = "checking_derivation_origin"
    REQUEST_RECEIVED = "request_received"
    COMPLETED = "completed"
    FAILED = "failed"


class FailureReason(str, Enum):
    NO_OPENER = "no_opener"
    NO_REQUEST = "no_request"
    INVALID_REQUEST = "invalid_request"
    UNVERIFIED_ORIGIN = "unverified_origin"
    CONNECTION_LOST = "connection_lost"
    CANCELLED = "cancelled"
    DELEGATION_FAILED = "delegation_failed"


@dataclass(frozen=True)
class SessionState:
    """Where the session is; `request` once a valid one arrived, `failure`/`detail` when failed."""

    phase: Phase
    protocol: Optional[Protocol] = None
    request: Optional[AuthorizationRequest] = None
    failure: Optional[FailureReason] = None
    detail: str = ""


_ACTIVE = (Phase.WAITING_FOR_REQUEST, Phase.CHECKING_DERIVATION_ORIGIN, Phase.REQUEST_RECEIVED)


class AuthorizeSession:
    """One authorize window's conversation with the dapp that opened it.

    `own_origin` is II's origin (`location.origin`): messages from it are ignored, and it decides
    where the alternative-origins list is fetched from.
    """

    def __init__(
        self,
        own_origin: str,
        *,
        request_timeout_ms: int = REQUEST_TIMEOUT_MS,
        heartbeat_timeout_ms: int = HEARTBEAT_TIMEOUT_MS,
    ):
        if not is_origin(own_origin):
            raise ValueError(f"own_origin: expected II's origin (scheme://host[:port]), found {own_origin!r}")
        self.own_origin = own_origin
        self.request_timeout_ms = request_timeout_ms
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self._phase = Phase.NOT_STARTED
        self._protocol: Optional[Protocol] = None
        self._origin: Optional[str] = None  # where answers go: the request's / the channel's origin
        self._rpc_id: Optional[RpcId] = None  # the pending icrc34_delegation request
        self._request: Optional[AuthorizationRequest] = None
        self._attributes: Optional[tuple[RpcId, AttributesRequest]] = None  # the pending ii-icrc3-attributes
        self._list_url: Optional[str] = None
        self._timers: set[str] = set()
        self._failure: Optional[FailureReason] = None
        self._detail = ""

    @property
    def state(self) -> SessionState:
        return SessionState(self._phase, self._protocol, self._request, self._failure, self._detail)

    @property
    def attributes_request(self) -> Optional[AttributesRequest]:
        """The pending `ii-icrc3-attributes` request, once the sign-in request is accepted."""
        if self._attributes is None or self._phase is not Phase.REQUEST_RECEIVED:
            return None
        return self._attributes[1]

    @property
    def attributes_origin(self) -> Optional[str]:
        """The origin the attributes are certified for (II: derivation origin or channel origin,
        gateway aliases mapped to `ic0.app`)."""
        request = self.attributes_request
        if request is None or self._origin is None:
            return None
        return remap_gateway_alias(request.derivation_origin or self._origin)

    # --- events ----------------------------------------------------------------------------------

    def start(self, *, has_opener: bool) -> list[Effect]:
        """The page opened: greet the opener, or explain that there is nothing to authorize."""
        if self._phase is not Phase.NOT_STARTED:
            raise RuntimeError("AuthorizeSession.start: the session has already started")
        self._phase = Phase.WAITING_FOR_REQUEST
        if not has_opener:
            return self._fail(
                FailureReason.NO_OPENER,
                "Nothing to authorize",
                "This page was not opened by a dapp, so there is no sign-in request to answer. Go back "
                "to the dapp and use its sign-in button: it opens Internet Identity in a new window.",
            )
        return [PostMessage(legacy.authorize_ready(), "*"), self._start_timer(REQUEST_TIMER, self.request_timeout_ms)]

    def on_message(self, message: IncomingMessage) -> list[Effect]:
        """A `message` event on II's window."""
        if self._phase is Phase.NOT_STARTED:
            raise RuntimeError("AuthorizeSession.on_message: call start() first")
        if not message.from_opener or message.origin == self.own_origin:
            return []
        if legacy.is_authorize_client(message.data):
            return self._on_authorize_client(message)
        if icrc.is_json_rpc(message.data):
            return self._on_json_rpc(message)
        return []

    def on_timer(self, name: str) -> list[Effect]:
        """A timer started by `StartTimer(name, ...)` fired."""
        if name not in self._timers:
            return []
        self._timers.discard(name)
        if name == REQUEST_TIMER and self._phase is Phase.WAITING_FOR_REQUEST:
            seconds = self.request_timeout_ms / 1000
            return self._fail(
                FailureReason.NO_REQUEST,
                "Unable to connect",
                f"The dapp that opened this window sent no sign-in request within {seconds:g} seconds. "
                "Close this window and try signing in again from the dapp.",
            )
        if name == HEARTBEAT_TIMER and self._phase in _ACTIVE:
            seconds = self.heartbeat_timeout_ms / 1000
            return self._fail(
                FailureReason.CONNECTION_LOST,
                "Connection lost",
                f"The dapp stopped answering for {seconds:g} seconds (its window was closed or navigated "
                "away). Start the sign-in again from the dapp.",
            )
        return []

    def on_canister_id(self, header_value: Optional[str]) -> list[Effect]:
        """The `x-ic-canister-id` header of the derivation origin (None if absent or failed)."""
        if self._phase is not Phase.CHECKING_DERIVATION_ORIGIN or self._list_url is not None:
            return []
        derivation = self._require_request().derivation_origin
        canister_id = parse_canister_id_header(header_value)
        if canister_id is None:
            return self._refuse_origin(
                f'could not resolve the canister id of "{derivation}": it is not on a canister domain and '
                "did not answer with an x-ic-canister-id header"
            )
        return self._fetch_list(canister_id)

    def on_alternative_origins(self, response: AlternativeOriginsResponse) -> list[Effect]:
        """The answer of `FetchAlternativeOrigins`."""
        if self._phase is not Phase.CHECKING_DERIVATION_ORIGIN or self._list_url is None:
            return []
        request = self._require_request()
        check: OriginCheck = check_alternative_origins(request.request_origin, self._list_url, response)
        if not check.allowed:
            return self._refuse_origin(check.reason)
        self._phase = Phase.REQUEST_RECEIVED
        return [ShowRequest(request)]

    def on_authenticated(self, result: AuthorizationResult) -> list[Effect]:
        """The flow layer's delegation for the request: answer the dapp, at its origin only.

        Ignored (returns no effect) unless a request is waiting for it, e.g. when the dapp went
        away while the user was authenticating: a delegation is only ever sent for the request.
        """
        if self._phase is not Phase.REQUEST_RECEIVED:
            return []
        request = self._require_request()
        problem = _check_result(result, request)
        if problem is not None:
            return self._fail_delegation(problem)
        if self._protocol is Protocol.LEGACY:
            reply = legacy.build_success(result.chain, result.authn_method)
        else:
            reply = icrc.rpc_result(self._rpc_id, icrc.build_delegation_result(result.chain))
        unanswered = self._answer_attributes_error(
            ErrorCode.GENERIC_ERROR, "The sign-in completed before this attribute request could be answered"
        )
        self._phase = Phase.COMPLETED
        return [*unanswered, PostMessage(reply, request.request_origin), *self._stop_timers(),
                ShowCompleted(request.request_origin)]

    def on_delegation_failed(self, detail: str) -> list[Effect]:
        """The flow layer could not get a delegation from the II canister."""
        if self._phase is not Phase.REQUEST_RECEIVED:
            return []
        return self._fail_delegation(detail)

    def on_attributes(self, message: bytes, signature: bytes) -> list[Effect]:
        """The flow layer's certified attributes for the pending `ii-icrc3-attributes` request."""
        if self.attributes_request is None:
            return []
        rpc_id, _ = self._attributes
        self._attributes = None
        assert self._origin is not None
        result = icrc.build_attributes_result(message, signature)
        return [PostMessage(icrc.rpc_result(rpc_id, result), self._origin)]

    def on_attributes_failed(self, detail: str) -> list[Effect]:
        """The II canister refused to certify the attributes; the sign-in goes on."""
        if self.attributes_request is None:
            return []
        return self._answer_attributes_error(ErrorCode.GENERIC_ERROR, f"Attribute sharing failed: {detail}")

    def on_user_cancel(self) -> list[Effect]:
        """The person chose not to sign in."""
        if self._phase not in _ACTIVE:
            return []
        return self._fail(
            FailureReason.CANCELLED, "Sign-in cancelled", "You cancelled the sign-in; you can close this window.",
            dapp_text=USER_INTERRUPT, rpc_error=(ErrorCode.ACTION_ABORTED, "Action aborted: the user cancelled the sign-in"),
        )

    # --- legacy ------------------------------------------------------------------------------------

    def _on_authorize_client(self, message: IncomingMessage) -> list[Effect]:
        if self._phase is not Phase.WAITING_FOR_REQUEST or self._protocol is not None:
            return []  # a duplicate (AuthClient repeats it per authorize-ready) or the other protocol
        try:
            request = legacy.parse_authorize_client(message.data, message.origin)
        except InvalidRequest as exc:
            self._protocol = Protocol.LEGACY
            if exc.field != "origin":
                self._origin = message.origin
            return self._fail_invalid(exc)
        self._protocol = Protocol.LEGACY
        self._origin = request.request_origin
        return [*self._stop_timers(), *self._accept(request)]

    # --- ICRC ----------------------------------------------------------------------------------------

    def _on_json_rpc(self, message: IncomingMessage) -> list[Effect]:
        if self._protocol is Protocol.LEGACY:
            return []
        if self._protocol is Protocol.ICRC and message.origin != self._origin:
            return []  # the channel is bound to the origin that opened it
        try:
            rpc = icrc.parse_rpc_request(message.data)
        except icrc.InvalidRpc as exc:
            if not is_origin(message.origin):
                return []
            error = icrc.rpc_error(exc.rpc_id, ErrorCode.INVALID_REQUEST, f"Invalid request: {exc.reason}")
            return [PostMessage(error, message.origin)]
        effects: list[Effect] = []
        if self._protocol is None:
            if rpc.id is None:
                return []  # a notification cannot open the channel: nothing can be answered
            if self._phase is not Phase.WAITING_FOR_REQUEST:
                return []
            if rpc.method not in icrc.CHANNEL_METHODS:
                return self._dispatch(rpc, message.origin) if is_origin(message.origin) else []
            if not is_origin(message.origin):
                self._protocol = Protocol.ICRC
                return self._fail_invalid(
                    InvalidRequest("origin", f"the dapp's page has an opaque origin ({message.origin!r}), "
                                   "so no answer can reach it")
                )
            self._protocol = Protocol.ICRC
            self._origin = message.origin
            effects.extend(self._stop_timers())
        assert self._origin is not None
        return effects + self._dispatch(rpc, self._origin)

    def _dispatch(self, rpc: icrc.RpcRequest, origin: str) -> list[Effect]:
        """Answer `rpc` at `origin`: the channel's, or the sender's for a query before the channel."""
        if rpc.id is None:
            return []  # JSON-RPC notifications get no answer
        if rpc.method == icrc.STATUS:
            effects: list[Effect] = [PostMessage(icrc.rpc_result(rpc.id, icrc.status_result()), origin)]
            if self._phase in _ACTIVE:
                effects.append(self._start_timer(HEARTBEAT_TIMER, self.heartbeat_timeout_ms))
            return effects
        if rpc.method == icrc.SUPPORTED_STANDARDS:
            return [PostMessage(icrc.rpc_result(rpc.id, icrc.supported_standards_result()), origin)]
        if rpc.method == icrc.PERMISSIONS:
            return [PostMessage(icrc.rpc_result(rpc.id, icrc.permissions_result()), origin)]
        if rpc.method == icrc.REQUEST_PERMISSIONS:
            try:
                icrc.check_request_permissions(rpc.params)
            except InvalidRequest as exc:
                return [PostMessage(icrc.rpc_error(rpc.id, ErrorCode.INVALID_PARAMS, f"Invalid params: {exc}"), origin)]
            return [PostMessage(icrc.rpc_result(rpc.id, icrc.permissions_result()), origin)]
        if rpc.method == icrc.DELEGATION:
            return self._on_delegation_request(rpc)
        if rpc.method == icrc.ATTRIBUTES:
            return self._on_attributes_request(rpc, origin)
        error = icrc.rpc_error(rpc.id, ErrorCode.METHOD_NOT_FOUND, f"Method not found: {rpc.method[:100]}")
        return [PostMessage(error, origin)]

    def _on_delegation_request(self, rpc: icrc.RpcRequest) -> list[Effect]:
        origin = self._origin
        assert origin is not None and rpc.id is not None
        if self._phase is Phase.WAITING_FOR_REQUEST:
            self._rpc_id = rpc.id
            try:
                request = icrc.parse_delegation_params(rpc.params, origin)
            except InvalidRequest as exc:
                return self._fail_invalid(exc)
            return self._accept(request)
        if self._phase in _ACTIVE:
            if rpc.id == self._rpc_id:
                return []  # the same request again: it is being answered
            text = f"A delegation request (id {self._rpc_id!r}) is already being processed in this window"
        else:
            text = "This window has already answered its delegation request; open a new one to sign in again"
        return [PostMessage(icrc.rpc_error(rpc.id, ErrorCode.GENERIC_ERROR, text), origin)]

    def _on_attributes_request(self, rpc: icrc.RpcRequest, origin: str) -> list[Effect]:
        assert rpc.id is not None

        def error(code: ErrorCode, text: str) -> list[Effect]:
            return [PostMessage(icrc.rpc_error(rpc.id, code, text), origin)]

        if self._protocol is not Protocol.ICRC:
            return error(ErrorCode.GENERIC_ERROR, "Attributes are shared only over the ICRC-29 channel of a "
                         "sign-in: send icrc29_status first, then icrc34_delegation")
        if self._phase not in _ACTIVE:
            return error(ErrorCode.GENERIC_ERROR, "This window has already answered its sign-in request; "
                         "request attributes together with the sign-in")
        if self._attributes is not None:
            if rpc.id == self._attributes[0]:
                return []  # the same request again: it is being answered
            return error(ErrorCode.GENERIC_ERROR,
                         f"An attribute request (id {self._attributes[0]!r}) is already being processed in this window")
        try:
            request = icrc.parse_attributes_params(rpc.params)
        except InvalidRequest as exc:
            return error(ErrorCode.INVALID_PARAMS, f"Invalid params: {exc}")
        self._attributes = (rpc.id, request)
        return self._check_attributes_origin()

    def _check_attributes_origin(self) -> list[Effect]:
        """Refuse the pending attributes' derivation origin unless it is the sign-in request's."""
        if self._attributes is None or self._request is None:
            return []
        wanted = self._attributes[1].derivation_origin
        if wanted is None or wanted == self._request.derivation_origin:
            return []
        return self._answer_attributes_error(
            ErrorCode.INVALID_PARAMS,
            f'Unverified derivation origin: "{wanted}" is not the derivation origin of the sign-in request',
        )

    def _answer_attributes_error(self, code: ErrorCode, text: str) -> list[Effect]:
        if self._attributes is None or self._origin is None:
            return []
        rpc_id, _ = self._attributes
        self._attributes = None
        return [PostMessage(icrc.rpc_error(rpc_id, code, text), self._origin)]

    # --- both ----------------------------------------------------------------------------------------

    def _accept(self, request: AuthorizationRequest) -> list[Effect]:
        self._request = request
        refused = self._check_attributes_origin()
        if not needs_check(request.request_origin, request.derivation_origin):
            self._phase = Phase.REQUEST_RECEIVED
            return [*refused, ShowRequest(request)]
        self._phase = Phase.CHECKING_DERIVATION_ORIGIN
        assert request.derivation_origin is not None
        canister_id = canister_id_from_hostname(request.derivation_origin)
        if canister_id is None:
            return [*refused, ResolveCanisterId(request.derivation_origin)]
        return [*refused, *self._fetch_list(canister_id)]

    def _fetch_list(self, canister_id) -> list[Effect]:
        self._list_url = alternative_origins_url(canister_id, self.own_origin)
        return [FetchAlternativeOrigins(self._list_url)]

    def _refuse_origin(self, reason: str) -> list[Effect]:
        request = self._require_request()
        return self._fail(
            FailureReason.UNVERIFIED_ORIGIN,
            "Unverified derivation origin",
            f'{request.request_origin} asked to sign in as "{request.derivation_origin}", which does not allow it: '
            f"{reason}.",
            dapp_text=f"Invalid derivation origin: {reason}",
            rpc_error=(ErrorCode.INVALID_PARAMS, f"Unverified derivation origin: {reason}"),
        )

    def _fail_invalid(self, exc: InvalidRequest) -> list[Effect]:
        return self._fail(
            FailureReason.INVALID_REQUEST,
            "Invalid request",
            f"The dapp sent an invalid sign-in request: {exc}.",
            dapp_text=f"Invalid request: {exc}",
            rpc_error=(ErrorCode.INVALID_PARAMS, f"Invalid params: {exc}"),
        )

    def _fail_delegation(self, detail: str) -> list[Effect]:
        return self._fail(
            FailureReason.DELEGATION_FAILED,
            "Authorization failed",
            f"Internet Identity could not issue the delegation: {detail}",
            dapp_text=f"Authorization failed: {detail}",
            rpc_error=(ErrorCode.GENERIC_ERROR, f"Delegation failed: {detail}"),
        )

    def _fail(
        self,
        reason: FailureReason,
        title: str,
        detail: str,
        *,
        dapp_text: Optional[str] = None,
        rpc_error: Optional[tuple[ErrorCode, str]] = None,
    ) -> list[Effect]:
        """End the session: tell the dapp (when there is a request to answer), stop the timers, show."""
        effects: list[Effect] = []
        if self._origin is not None:
            if self._protocol is Protocol.LEGACY and dapp_text is not None:
                effects.append(PostMessage(legacy.build_failure(dapp_text), self._origin))
            elif self._protocol is Protocol.ICRC and rpc_error is not None and self._rpc_id is not None:
                code, text = rpc_error
                effects.extend(self._answer_attributes_error(code, text))
                effects.append(PostMessage(icrc.rpc_error(self._rpc_id, code, text), self._origin))
        if effects:
            detail += " The dapp was told."
        effects.extend(self._stop_timers())
        effects.append(ShowFailure(title, detail))
        self._phase = Phase.FAILED
        self._failure = reason
        self._detail = detail
        return effects

    def _start_timer(self, name: str, ms: int) -> StartTimer:
        self._timers.add(name)
        return StartTimer(name, ms)

    def _stop_timers(self) -> list[Effect]:
        stopped: list[Effect] = [CancelTimer(name) for name in sorted(self._timers)]
        self._timers.clear()
        return stopped

    def _require_request(self) -> AuthorizationRequest:
        if self._request is None:
            raise RuntimeError("AuthorizeSession: no request")
        return self._request


def _check_result(result: AuthorizationResult, request: AuthorizationRequest) -> Optional[str]:
    """Why `result` must not be sent for `request`, or None."""
    if not isinstance(result, AuthorizationResult):
        return f"expected an AuthorizationResult, found {type(result).__name__}"
    links = result.chain.delegations
    if not links:
        return "the delegation chain is empty"
    if links[-1].delegation.pubkey != request.session_public_key:
        return "the delegation is not to the session key the dapp sent"
    return None
