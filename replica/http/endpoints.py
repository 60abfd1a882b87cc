"""What each IC HTTP endpoint does (ic-interface-facts §1, §6, §7, §10): decode, authenticate,
execute or look up, certify or sign, answer. Bytes in, `Response` out; no ASGI here.

Every refusal happens before anything changes: decoding, envelope shape, effective-id match and
authentication all run first; only a fully valid, never-seen call executes, exactly once.
"""

from __future__ import annotations

import time as _time
from typing import Any, Callable

from replica.auth.envelope import Envelope, parse_envelope
from replica.auth.errors import AuthError
from replica.auth.validate import Authenticated, Verifier, authenticate
from replica.certification.query_signing import query_response
from replica.certification.request_status import IngressHistoryFull, Outcome, RequestRecord
from replica.certification.state import CertifiedState
from replica.http.responses import HttpError, Response, accepted, bad_request, cbor_response
from replica.runtime.dispatch import Runtime

IMPL_VERSION = "internet-identity-py-0.1.0"
MAX_CBOR_BYTES = 5 * 1024 * 1024
# More data items than any legal envelope holds (20 delegations of 1,000 targets, 1,000 read_state
# paths), so that a junk body of millions of tiny items is refused after a bounded scan.
MAX_CBOR_ITEMS = 100_000
PURGE_EVERY_NS = 10 * 1_000_000_000
INVALID_PATH = "Invalid path requested."
NOT_SIGNED_BY_CALLER = "The user tries to access Request ID not signed by the caller."


class Endpoints:
    def __init__(
        self,
        *,
        state: CertifiedState,
        runtime: Runtime,
        verify: Verifier,
        clock: Callable[[], int] = _time.time_ns,
    ):
        self.state = state
        self.runtime = runtime
        self.verify = verify
        self.clock = clock
        self._next_purge = 0
        self.certified_height = 0

    # -- GET /api/v2/status ---------------------------------------------------------------------

    def status(self) -> Response:
        return cbor_response(
            {
                "ic_api_version": "0.18.0",
                "impl_version": IMPL_VERSION,
                "root_key": self.state.keys.root.der,
                "replica_health_status": "healthy",
                "certified_height": self.certified_height,
            }
        )

    # -- POST .../call ---------------------------------------------------------------------------

    def call(self, ecid_text: str, body: bytes, *, synchronous: bool) -> Response:
        ecid = _url_principal(ecid_text)
        envelope = _decode_envelope(body, "call")
        content = envelope.content
        _check_effective_canister(content.canister_id, ecid)
        self._check_management_target(content, ecid)
        now = self.clock()
        auth = self._authenticate(envelope, now)
        self._purge(now)
        rid = envelope.request_id
        record = self.state.requests.get(rid)
        if record is None:
            refused = self.runtime.precheck(content.canister_id, content.method_name, as_query=False,
                                            arg=content.arg, caller=auth.sender, time_ns=now, ingress=True)
            if refused is not None:
                return _non_replicated_rejection(refused, synchronous)
            try:
                self.state.requests.admit(now)
            except IngressHistoryFull as exc:
                raise HttpError(429, str(exc)) from None
            # The canister's writes and the call's record commit together, or neither does.
            with self.state.requests.executing():
                outcome = self.runtime.execute(
                    content.canister_id, content.method_name, content.arg, auth.sender, as_query=False, time_ns=now
                )
                record = RequestRecord(
                    rid, auth.sender, ecid, content.ingress_expiry, "replied" if outcome.replied else "rejected", outcome
                )
                self.state.requests.put(record)
            self.certified_height += 1
        if not synchronous:
            return accepted()
        certificate = self.state.certificate([(b"request_status", rid)], self.clock())
        return cbor_response({"status": "replied", "certificate": certificate})

    # -- POST .../query --------------------------------------------------------------------------

    def query(self, ecid_text: str, body: bytes) -> Response:
        ecid = _url_principal(ecid_text)
        envelope = _decode_envelope(body, "query")
        content = envelope.content
        _check_effective_canister(content.canister_id, ecid)
        self._check_management_target(content, ecid)
        now = self.clock()
        auth = self._authenticate(envelope, now)
        outcome = self.runtime.execute(
            content.canister_id, content.method_name, content.arg, auth.sender, as_query=True, time_ns=now
        )
        keys = self.state.keys
        return cbor_response(
            query_response(outcome, request_id=envelope.request_id, node=keys.node, node_id=self.state.node_id, timestamp_ns=now)
        )

    # -- POST .../read_state ---------------------------------------------------------------------

    def read_state(self, kind: str, effective_text: str, body: bytes) -> Response:
        effective = _url_principal(effective_text)
        envelope = _decode_envelope(body, "read_state")
        now = self.clock()
        auth = self._authenticate(envelope, now)
        paths = envelope.content.paths or ()
        if kind == "canister":
            self._authorize_canister_paths(paths, effective, auth)
        else:
            _authorize_subnet_paths(paths)
        certificate = self.state.certificate(paths, self.clock())
        return cbor_response({"certificate": certificate})

    def _authorize_canister_paths(self, paths, ecid: bytes, auth: Authenticated) -> None:
        request_ids: set[bytes] = set()
        for path in paths:
            head = path[0] if path else b""
            if head in (b"time", b"subnet", b"api_boundary_nodes"):
                if head == b"subnet" and len(path) >= 3 and path[2] == b"metrics":
                    raise HttpError(404, INVALID_PATH)
                continue
            if head == b"request_status" and len(path) >= 2:
                rid = path[1]
                if len(rid) != 32:
                    raise bad_request(f"Malformed request: the request id in path /request_status/{rid.hex()} is {len(rid)} bytes, expected 32")
                request_ids.add(rid)
                if len(request_ids) > 1:
                    raise bad_request("Malformed request: all request_status paths of one read_state must name the same request id")
                record = self.state.requests.get(rid)
                if record is None:
                    continue
                if record.sender != auth.sender:
                    raise HttpError(403, NOT_SIGNED_BY_CALLER)
                if record.canister_id != ecid:
                    raise HttpError(
                        403,
                        f"The request 0x{rid.hex()} was sent to canister {_text(record.canister_id)}, "
                        f"not to the effective canister {_text(ecid)} of this read_state.",
                    )
                if not auth.allows(record.canister_id):
                    raise HttpError(
                        403, f"Canister '{_text(record.canister_id)}' is not one of the delegation targets."
                    )
                continue
            if head == b"canister" and len(path) >= 3:
                if path[1] != ecid:
                    raise bad_request(
                        f"Effective principal id in URL {_text(ecid)} does not match requested principal id: {_text_or_hex(path[1])}."
                    )
                if path[2] in (b"module_hash", b"controllers"):
                    continue
                if path[2] == b"metadata" and len(path) >= 4:
                    self._authorize_metadata(ecid, path[3], auth)
                    continue
            raise HttpError(404, INVALID_PATH)

    def _authorize_metadata(self, ecid: bytes, name: bytes, auth: Authenticated) -> None:
        """`icp:private` sections only for a controller's request (403 otherwise)."""
        view = self.state.canister_view(ecid)
        if view is None:
            return
        try:
            key = name.decode()
        except UnicodeDecodeError:
            return
        if key in view.private_metadata and auth.sender not in view.controllers:
            raise HttpError(403, f"Custom section {key} can only be requested by the controllers of the canister.")

    def _check_management_target(self, content, ecid: bytes) -> None:
        """Calls to aaaaa-aa: the argument's canister must be the URL's effective canister id."""
        if content.canister_id != b"":
            return
        problem = self.runtime.check_effective_id(b"", content.method_name, content.arg, ecid)
        if problem is not None:
            raise bad_request(problem)

    # -- shared ---------------------------------------------------------------------------------

    def _authenticate(self, envelope: Envelope, now: int) -> Authenticated:
        try:
            return authenticate(envelope, now_ns=now, verify=self.verify)
        except AuthError as exc:
            raise HttpError(exc.status, str(exc)) from None

    def _purge(self, now: int) -> None:
        if now >= self._next_purge:
            self.state.requests.purge(now)
            self._next_purge = now + PURGE_EVERY_NS


def _authorize_subnet_paths(paths) -> None:
    for path in paths:
        head = path[0] if path else b""
        if head not in (b"time", b"subnet", b"canister_ranges", b"api_boundary_nodes"):
            raise HttpError(404, INVALID_PATH)


def _non_replicated_rejection(outcome: Outcome, synchronous: bool) -> Response:
    body: dict[str, Any] = {
        "reject_code": outcome.reject_code,
        "reject_message": outcome.reject_message,
        "error_code": outcome.error_code,
    }
    if synchronous:
        body = {"status": "non_replicated_rejection", **body}
    return cbor_response(body)


def _decode_envelope(body: bytes, request_type: str) -> Envelope:
    from ic import cbor

    try:
        obj = cbor.decode(body, max_size=MAX_CBOR_BYTES, max_items=MAX_CBOR_ITEMS)
    except (ValueError, RecursionError, OverflowError, MemoryError) as exc:
        raise bad_request(f"Failed to deserialize cbor request: {exc}") from None
    try:
        return parse_envelope(obj, request_type)
    except AuthError as exc:
        raise HttpError(exc.status, str(exc)) from None


def _check_effective_canister(canister_id: bytes, ecid: bytes) -> None:
    if canister_id != ecid and canister_id != b"":
        raise bad_request(
            f"Specified CanisterId {_text_or_hex(canister_id)} does not match effective canister id in URL {_text(ecid)}"
        )


def _url_principal(text: str) -> bytes:
    from ic.principal import Principal

    try:
        return Principal.from_text(text).raw
    except ValueError as exc:
        raise bad_request(f"Malformed request: invalid principal '{text[:80]}' in the URL: {exc}") from None


def _text(raw: bytes) -> str:
    from ic.principal import Principal

    return Principal.from_bytes(raw).to_text()


def _text_or_hex(raw: bytes) -> str:
    try:
        return _text(raw)
    except ValueError:
        return "0x" + raw.hex()
