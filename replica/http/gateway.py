"""The HTTP gateway for Wasm canisters: a browser's request to a canister's own origin becomes a call
of its `http_request`, as the IC's HTTP gateways do (interface spec, "The HTTP Gateway Protocol
Specification").

For a request to `http://<canister id>.localhost:PORT/...` (or `?canisterId=<id>`) of a Wasm
canister this replica hosts:

1. the request is Candid-encoded as an `HttpRequest` (method, the request target as sent, every
   header, the body, `certificate_version = opt 2`) and sent as a **query** to `http_request`, by
   the anonymous principal;
2. a reply with `upgrade = opt true` is answered instead by an **update** call to
   `http_request_update` with the `HttpUpdateRequest` (the same without `certificate_version`):
   an ingress call like any other (the canister's `canister_inspect_message` sees it), run inside
   the storage transaction, so its writes are durable when the response is sent;
3. a `streaming_strategy = opt variant { Callback }` is followed: the callback (which must be a
   query method of the same canister) is called with the token until it returns no token; the
   token's Candid type is the canister's own, read from the reply's type table and sent back at
   that type. Bounded: at most `GatewayLimits.max_callbacks` calls and `max_body_bytes` of body;
4. the status, headers (without the framing headers the gateway sets itself) and assembled body
   are the HTTP response.

Anything a canister gets wrong is answered, never raised: a trap or reject 502 (or 503 for a
stopped canister or one without a module; 404 when it has no `http_request` query), a reply that
is not a valid `HttpResponse` 502, each with a plain-text reason naming the canister.

Response verification: NOT done. Mainnet gateways check the `IC-Certificate` /
`IC-CertificateExpression` headers (certification v2, or v1's `http_assets` tree) against the
canister's certified data before passing a response on; this gateway passes responses on
unverified, the way a local development gateway may (the canister's certified data and the data
certificate its queries get are real, so a canister's own certification code runs as on mainnet,
but a wrong certificate goes unnoticed here).
"""

from __future__ import annotations

import logging
import re
import time as _time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable, ContextManager

from replica.http.static import Response

log = logging.getLogger(__name__)

ANONYMOUS = b"\x04"
TEXT = "text/plain; charset=utf-8"
# The largest argument a canister message may carry (replica.wasm.call_api.MAX_PAYLOAD_BYTES).
MAX_MESSAGE_BYTES = 2 * 1024 * 1024

HTTP_DID = """\
type HeaderField = record { text; text };
type HttpRequest = record {
  method : text;
  url : text;
  headers : vec HeaderField;
  body : blob;
  certificate_version : opt nat16;
};
type HttpUpdateRequest = record {
  method : text;
  url : text;
  headers : vec HeaderField;
  body : blob;
};
"""

# Headers of a canister's reply that the gateway sets itself (framing) and never copies.
HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]{0,8192}")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Error codes of the rejects that mean "not serving now" rather than "served badly".
_UNAVAILABLE = {"IC0508", "IC0509", "IC0537"}  # stopped, stopping, no Wasm module
_NO_METHOD = "IC0536"


@dataclass(frozen=True)
class GatewayLimits:
    """Bounds of one request through the gateway."""

    max_request_body_bytes: int = MAX_MESSAGE_BYTES - 64 * 1024  # room for url and headers
    max_body_bytes: int = 64 * 1024 * 1024  # the assembled response body, streaming included
    max_callbacks: int = 1024  # streaming callback calls for one response


class GatewayError(Exception):
    """A response this gateway gives instead of the canister's: `status` with a plain-text reason."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def plain(status: int, text: str) -> Response:
    return Response(status, [("content-type", TEXT), ("x-content-type-options", "nosniff")],
                    text.encode("utf-8", "replace"))


def _types():
    """(HttpRequest, HttpUpdateRequest, HttpResponse's fixed fields) as `ic.candid` types."""
    global _TYPES
    if _TYPES is None:
        from ic import candid

        did = candid.parse_did(HTTP_DID + "service : {}\n")
        fixed = candid.resolve(candid.parse_type(
            "record { status_code : nat16; headers : vec record { text; text }; body : blob; upgrade : opt bool }"))
        _TYPES = (did.lookup("HttpRequest"), did.lookup("HttpUpdateRequest"), fixed)
    return _TYPES


_TYPES = None


def _said(message: str, limit: int = 300) -> str:
    """A canister's reject message as this gateway quotes it: one line, printable, bounded."""
    text = _UNPRINTABLE.sub(" ", message)
    return text if len(text) <= limit else text[:limit] + "..."


class HttpGateway:
    """`request(canister_id, method, url, headers, body)` for the Wasm canisters of a runtime.

    `runtime` is the replica's `Runtime` (its `host` holds the Wasm canisters); `transaction`
    opens the storage transaction an update runs in (`replica.storage.transaction`); `clock`
    gives the time in nanoseconds (the replica's clock)."""

    def __init__(self, runtime, *, transaction: Callable[[], ContextManager[Any]] | None = None,
                 clock: Callable[[], int] = _time.time_ns, limits: GatewayLimits = GatewayLimits()):
        self.runtime = runtime
        self.transaction = transaction or nullcontext
        self.clock = clock
        self.limits = limits

    @classmethod
    def for_replica(cls, replica, **kw) -> "HttpGateway":
        """The gateway of a `replica.replica.Replica`: its runtime, storage transaction and clock."""
        return cls(replica.runtime, transaction=replica.storage.transaction, clock=replica.clock, **kw)

    def serves(self, canister_id: str) -> bool:
        """Whether `canister_id` (text) is a Wasm canister of this runtime (with or without an
        `http_request`: one without is answered with why it serves nothing)."""
        host = getattr(self.runtime, "host", None)
        if host is None:
            return False
        raw = _raw(canister_id)
        return raw is not None and host.hosts(raw)

    def request(self, canister_id: str, method: str, url: str, headers: list[tuple[str, str]],
                body: bytes) -> Response:
        """The HTTP response canister `canister_id` gives to this request. `url` is the request
        target as sent (percent-encoded path and query)."""
        try:
            return self._request(canister_id, method, url, headers, body)
        except GatewayError as refusal:
            return plain(refusal.status, refusal.text)
        except Exception:  # a bug here: answer it, keep serving
            log.exception("the HTTP gateway failed on %s %s of canister %s", method, url[:200], canister_id)
            return plain(500, "Internal error in the replica's HTTP gateway; see its log.")

    # -- the protocol -----------------------------------------------------------------------------

    def _request(self, canister_id: str, method: str, url: str, headers: list[tuple[str, str]],
                 body: bytes) -> Response:
        from ic import candid

        raw = _raw(canister_id)
        if raw is None:
            raise GatewayError(400, f"Bad Request: {canister_id} is not a canister id.")
        if len(body) > self.limits.max_request_body_bytes:
            raise GatewayError(413, f"Payload Too Large: the request body is {len(body)} bytes; a canister's "
                                    f"http_request takes at most {self.limits.max_request_body_bytes}.")
        request_type, update_type, _ = _types()
        value = {"method": method, "url": url, "headers": [(k, v) for k, v in headers], "body": body}
        arg = candid.encode([request_type], [{**value, "certificate_version": [2]}])
        if len(arg) > MAX_MESSAGE_BYTES:
            raise GatewayError(413, f"Payload Too Large: the request (body, url and headers) is {len(arg)} bytes "
                                    f"as Candid; a canister message carries at most {MAX_MESSAGE_BYTES}.")
        now = self.clock()
        outcome = self.runtime.execute(raw, "http_request", arg, ANONYMOUS, as_query=True, time_ns=now)
        reply = self._replied(canister_id, "http_request", outcome)
        response = self._decode_response(canister_id, "http_request", reply)
        if response["upgrade"] == [True]:
            update_arg = candid.encode([update_type], [value])
            refused = self.runtime.precheck(raw, "http_request_update", as_query=False, arg=update_arg,
                                            caller=ANONYMOUS, time_ns=now, ingress=True)
            if refused is not None:
                reply = self._replied(canister_id, "http_request_update", refused)
            else:
                with self.transaction():
                    outcome = self.runtime.execute(raw, "http_request_update", update_arg, ANONYMOUS,
                                                   as_query=False, time_ns=self.clock())
                reply = self._replied(canister_id, "http_request_update", outcome)
            response = self._decode_response(canister_id, "http_request_update", reply)
        body_out = bytes(response["body"])
        if len(body_out) > self.limits.max_body_bytes:
            raise GatewayError(502, f"Bad Gateway: canister {canister_id} answered a body of {len(body_out)} bytes, "
                                    f"more than this gateway's limit of {self.limits.max_body_bytes}.")
        if response["streaming"] is not None:
            body_out = self._stream(canister_id, raw, body_out, *response["streaming"])
        return self._http_response(canister_id, response, body_out)

    def _replied(self, canister_id: str, method: str, outcome) -> bytes:
        """The reply of a call, or the gateway's answer to its reject."""
        if outcome.replied:
            return outcome.reply
        message = _said(outcome.reject_message)
        if outcome.error_code == _NO_METHOD:
            if method == "http_request":
                raise GatewayError(404, f"Not Found: canister {canister_id} has no query method http_request, so "
                                        f"it serves nothing over HTTP (call its methods through /api/). {message}")
            if method == "http_request_update":
                raise GatewayError(502, f"Bad Gateway: canister {canister_id} asked for an update call "
                                        f"(upgrade = opt true) but cannot take it: {message}")
            raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streaming callback {method} is not "
                                    f"a query method of it: {message}")
        if outcome.error_code in _UNAVAILABLE:
            raise GatewayError(503, f"Service Unavailable: canister {canister_id} cannot answer {method}: {message}")
        code = outcome.error_code or "no error code"
        raise GatewayError(502, f"Bad Gateway: canister {canister_id} failed in {method} "
                                f"(reject code {outcome.reject_code}, {code}): {message}")

    def _decode_response(self, canister_id: str, method: str, reply: bytes) -> dict:
        """The `HttpResponse` in `reply`: status, headers, body, upgrade, and the streaming
        callback with its token and the token's wire type (or None)."""
        from ic import candid
        from ic.candid.typetable import read_header

        _, _, fixed = _types()
        try:
            header = read_header(reply, candid.DEFAULT_LIMITS.max_types)
            if not header.args:
                raise ValueError("the reply has no value")
            wire = candid.resolve(header.args[0])
            strategy_type = _field(wire, "streaming_strategy") if isinstance(wire, candid.Record) else None
            fields = list(fixed.fields)
            if strategy_type is not None:
                fields.append(candid.make_field("streaming_strategy", strategy_type))
            value = candid.decode(reply, [candid.Record(tuple(fields))])[0]
            streaming = None
            if strategy_type is not None and value.get("streaming_strategy"):
                streaming = _callback(strategy_type, value["streaming_strategy"][0])
        except (ValueError, TypeError, RecursionError) as exc:
            raise GatewayError(502, f"Bad Gateway: canister {canister_id} answered {method} with a reply that is "
                                    f"not an HttpResponse: {_said(str(exc))}") from None
        return {"status": value["status_code"], "headers": value["headers"], "body": value["body"],
                "upgrade": value["upgrade"], "streaming": streaming}

    def _stream(self, canister_id: str, raw: bytes, body: bytes, func, token, token_type) -> bytes:
        """`body` with every further chunk the streaming callback gives appended."""
        from ic import candid
        from ic.candid.typetable import read_header

        service = getattr(func.service, "raw", func.service)
        if bytes(service) != raw:
            raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streaming callback is a method of "
                                    f"another canister; a gateway calls back only the canister that answered.")
        chunks = [body]
        size = len(body)
        for calls in range(self.limits.max_callbacks + 1):
            if calls == self.limits.max_callbacks:
                raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streaming callback {func.method} "
                                        f"still had more after {self.limits.max_callbacks} calls, "
                                        f"this gateway's limit.")
            try:
                arg = candid.encode([token_type], [token])
            except (ValueError, TypeError) as exc:
                raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streaming token cannot be sent back: "
                                        f"{_said(str(exc))}") from None
            outcome = self.runtime.execute(raw, func.method, arg, ANONYMOUS, as_query=True, time_ns=self.clock())
            reply = self._replied(canister_id, func.method, outcome)
            try:
                header = read_header(reply, candid.DEFAULT_LIMITS.max_types)
                if not header.args:
                    raise ValueError("the reply has no value")
                wire = candid.resolve(header.args[0])
                optional = isinstance(wire, candid.Opt)  # the spec's `opt StreamingCallbackHttpResponse`
                record = candid.resolve(wire.inner) if optional else wire
                next_type = _field(record, "token") if isinstance(record, candid.Record) else None
                fields = [candid.make_field("body", candid.parse_type("blob"))]
                if next_type is not None:
                    fields.append(candid.make_field("token", next_type))
                expected: Any = candid.Record(tuple(fields))
                value = candid.decode(reply, [candid.Opt(expected) if optional else expected])[0]
            except (ValueError, TypeError, RecursionError) as exc:
                raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streaming callback {func.method} "
                                        f"answered something that is not a StreamingCallbackHttpResponse: "
                                        f"{_said(str(exc))}") from None
            if optional:
                if value is None:
                    break
                value = value[0]
            chunk = bytes(value["body"])
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                raise GatewayError(502, f"Bad Gateway: canister {canister_id}'s streamed body exceeds this gateway's "
                                        f"limit of {self.limits.max_body_bytes} bytes.")
            chunks.append(chunk)
            following = value.get("token")
            if not following:
                break
            opt_type = candid.resolve(next_type)
            token, token_type = following[0], opt_type.inner if isinstance(opt_type, candid.Opt) else opt_type
        return b"".join(chunks)

    @staticmethod
    def _http_response(canister_id: str, response: dict, body: bytes) -> Response:
        status = int(response["status"])
        if not 100 <= status <= 599:
            raise GatewayError(502, f"Bad Gateway: canister {canister_id} answered with status {status}, "
                                    f"which is no HTTP status.")
        return canister_response(status, [(str(k), str(v)) for k, v in response["headers"]], body)


def canister_response(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    """A canister's HTTP answer as the gateway passes it on (Wasm or Python canister): framing
    headers and malformed ones dropped, `nosniff` added to error and plain-text answers."""
    kept = [(k, v) for k, v in headers
            if k.lower() not in HOP_HEADERS and _HEADER_NAME.fullmatch(k) and _HEADER_VALUE.fullmatch(v)]
    names = {k.lower() for k, _ in kept}
    content_type = next((v for k, v in kept if k.lower() == "content-type"), "")
    if (status >= 400 or content_type.startswith("text/plain")) and "x-content-type-options" not in names:
        kept.append(("x-content-type-options", "nosniff"))  # an error text is never sniffed as HTML
    return Response(status, kept, body)


def _raw(canister_id: str) -> bytes | None:
    from ic.errors import PrincipalError
    from ic.principal import Principal

    try:
        return Principal.from_text(canister_id).raw
    except (PrincipalError, ValueError, TypeError):
        return None


def _field(record, name: str):
    """The type of field `name` of the (wire) record type `record`, or None."""
    from ic import candid

    wanted = candid.idl_hash(name)
    return next((f.type for f in record.fields if f.id == wanted), None)


def _callback(strategy_type, strategy: dict):
    """(func, token, token's wire type) of a decoded `StreamingStrategy` value at its wire type."""
    from ic import candid

    variant = candid.resolve(candid.resolve(strategy_type).inner)
    if not isinstance(variant, candid.Variant):
        raise ValueError("streaming_strategy is not a variant")
    arm = next((f for f in variant.fields if f.id == candid.idl_hash("Callback")), None)
    if arm is None or len(strategy) != 1 or next(iter(strategy)) not in (arm.key, arm.id, "Callback"):
        raise ValueError("streaming_strategy is not #Callback")
    record = candid.resolve(arm.type)
    if not isinstance(record, candid.Record):
        raise ValueError("the #Callback strategy is not a record")
    callback_type, token_type = _field(record, "callback"), _field(record, "token")
    if callback_type is None or token_type is None or not isinstance(candid.resolve(callback_type), candid.Func):
        raise ValueError("the #Callback strategy has no callback func and token")
    inner = next(iter(strategy.values()))
    func = _value(inner, "callback")
    token = _value(inner, "token")
    if func is None or not getattr(func, "method", None):
        raise ValueError("the streaming callback is no method reference")
    return func, token, token_type


def _value(record: dict, name: str):
    from ic import candid

    if name in record:
        return record[name]
    return record.get(candid.idl_hash(name))
