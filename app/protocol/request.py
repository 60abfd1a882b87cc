"""The validated authorization request both protocols produce (ii-facts §1 "Defaults and limits").

Both the legacy `authorize-client` message (`legacy.py`) and the ICRC-34 `icrc34_delegation`
params (`icrc.py`) become one `AuthorizationRequest`; the flow layer only ever sees that. Each
field check raises `InvalidRequest(field, reason)`; a request object exists only when every check
passed, so a bad request can never reach the delegation step.

The flow layer answers with an `AuthorizationResult`: the delegation chain the II canister signed
(`ic.delegation.DelegationChain`: `public_key` = the user's canister-signature key, `delegations`
ending at the session key) and how the user authenticated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

from app.protocol.errors import InvalidRequest
from app.protocol.values import bytes_like, decode_base64, describe, is_absent
from ic.delegation import DelegationChain
from ic.errors import ICError
from ic.keys import BlsPublicKey, parse_der
from ic.principal import Principal

MINUTE_NS = 60 * 1_000_000_000
DAY_NS = 24 * 60 * MINUTE_NS
DEFAULT_TIME_TO_LIVE_NS = 30 * MINUTE_NS  # II backend's DEFAULT_EXPIRATION_PERIOD_NS
MAX_TIME_TO_LIVE_NS = 30 * DAY_NS  # II backend's MAX_EXPIRATION_PERIOD_NS
MAX_FRONTEND_ORIGIN_BYTES = 255  # the II canister traps on longer frontend origins
MAX_SESSION_KEY_BYTES = 1024

# `https://<canister>(.raw)?.icp0.io` and `.icp.net` derive the same principals as `.ic0.app`.
_GATEWAY_ALIAS = re.compile(r"https://([A-Za-z0-9_-]+(?:\.raw)?)\.(?:icp0\.io|icp\.net)")
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class Protocol(str, Enum):
    """Which client authentication protocol the dapp speaks."""

    LEGACY = "legacy"  # `authorize-client` postMessage (@dfinity/auth-client)
    ICRC = "icrc"  # ICRC-29 window transport + ICRC-25/34 JSON-RPC (@icp-sdk/auth)


class AuthnMethod(str, Enum):
    """`authnMethod` of the legacy success message: how the user authenticated."""

    PASSKEY = "passkey"
    PIN = "pin"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class AuthorizationRequest:
    """A request that passed every check.

    - `request_origin`: the dapp's origin (`event.origin`), the only place the answer goes;
    - `session_public_key`: DER SubjectPublicKeyInfo the delegation is issued to;
    - `max_time_to_live_ns`: what to pass to `prepare_delegation` (30 minutes when the dapp sent
      none, at most 30 days); `requested_time_to_live_ns` is what the dapp sent (None if absent);
    - `derivation_origin`: the origin principals are derived for, when the dapp asked for another
      one (validated separately against `/.well-known/ii-alternative-origins`);
    - `auto_selection_principal`, `allow_pin_authentication`: legacy hints (None when absent).
    """

    protocol: Protocol
    request_origin: str
    session_public_key: bytes
    max_time_to_live_ns: int
    requested_time_to_live_ns: Optional[int] = None
    derivation_origin: Optional[str] = None
    auto_selection_principal: Optional[Principal] = None
    allow_pin_authentication: Optional[bool] = None

    @property
    def frontend_origin(self) -> str:
        """The origin the II canister derives the principal for (`derivationOrigin ?? origin`,
        with `icp0.io`/`icp.net` gateway names mapped to `ic0.app`, as the II frontend does)."""
        return remap_gateway_alias(self.derivation_origin or self.request_origin)


@dataclass(frozen=True)
class AuthorizationResult:
    """What the flow layer computed through the II canister, handed to `on_authenticated`."""

    chain: DelegationChain
    authn_method: AuthnMethod = AuthnMethod.PASSKEY

    def __post_init__(self) -> None:
        if not isinstance(self.chain, DelegationChain):
            raise TypeError(f"AuthorizationResult.chain: expected a DelegationChain, found {type(self.chain).__name__}")
        object.__setattr__(self, "authn_method", AuthnMethod(self.authn_method))


# --- field checks --------------------------------------------------------------------------------


def remap_gateway_alias(origin: str) -> str:
    """`https://<x>.icp0.io` / `https://<x>.icp.net` -> `https://<x>.ic0.app`; others unchanged."""
    match = _GATEWAY_ALIAS.fullmatch(origin)
    return f"https://{match.group(1)}.ic0.app" if match else origin


def is_origin(value: Any) -> bool:
    """True for a serialized web origin: `scheme://host[:port]`, lower case, no default port, no
    path, the form `new URL(value).origin === value` accepts."""
    if not isinstance(value, str):
        return False
    match = _ORIGIN.fullmatch(value)
    if match is None:
        return False
    port = match.group("port")
    if port is not None and (int(port) > 65535 or port == _DEFAULT_PORTS[match.group("scheme")]):
        return False
    return True


def parse_origin(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(field, f"expected an origin string, found {describe(value)}")
    if not is_origin(value):
        raise InvalidRequest(
            field, f"{value[:100]!r} is not a bare origin: expected scheme://host[:port] in lower case, "
            "with no path, query, fragment or default port"
        )
    if len(remap_gateway_alias(value).encode()) > MAX_FRONTEND_ORIGIN_BYTES:
        raise InvalidRequest(field, f"is longer than {MAX_FRONTEND_ORIGIN_BYTES} bytes")
    return value


def check_request_origin(origin: Any) -> str:
    """The dapp's own origin (`event.origin`): a real origin II can post the answer to."""
    if origin == "null":
        raise InvalidRequest("origin", "the dapp's page has an opaque origin (\"null\"), so no answer can reach it")
    return parse_origin(origin, "origin")


def parse_session_key(value: Any, field: str, *, allow_base64: bool, allow_bytes: bool) -> bytes:
    """A DER public key the IC accepts as a delegation target (any user signature scheme)."""
    if is_absent(value):
        raise InvalidRequest(field, "is missing")
    data = bytes_like(value, field) if allow_bytes else None
    if data is None:
        if allow_base64 and isinstance(value, str):
            if len(value) > MAX_SESSION_KEY_BYTES * 2:
                raise InvalidRequest(field, f"is longer than {MAX_SESSION_KEY_BYTES} bytes")
            data = decode_base64(value, field)
        else:
            expected = " or ".join(
                kind for kind, ok in (("a Uint8Array", allow_bytes), ("a base64 string", allow_base64)) if ok
            )
            raise InvalidRequest(field, f"expected {expected} (DER public key), found {describe(value)}")
    if not data:
        raise InvalidRequest(field, "is empty; expected a DER-encoded public key")
    if len(data) > MAX_SESSION_KEY_BYTES:
        raise InvalidRequest(field, f"is {len(data)} bytes; a DER public key has at most {MAX_SESSION_KEY_BYTES}")
    try:
        key = parse_der(data)
    except ICError as exc:
        raise InvalidRequest(field, f"not a DER public key the Internet Computer accepts: {exc}") from None
    if isinstance(key, BlsPublicKey):
        raise InvalidRequest(field, "a BLS12-381 key cannot sign requests; use an Ed25519 or ECDSA key")
    return data


def effective_time_to_live(requested: Optional[int], field: str) -> int:
    """The default when absent; at most 30 days (longer requests are shortened, as II does)."""
    if requested is None:
        return DEFAULT_TIME_TO_LIVE_NS
    if requested == 0:
        raise InvalidRequest(field, "must be greater than 0 nanoseconds")
    return min(requested, MAX_TIME_TO_LIVE_NS)


def parse_principal_text(value: Any, field: str) -> Principal:
    if not isinstance(value, str):
        raise InvalidRequest(field, f"expected principal text, found {describe(value)}")
    try:
        return Principal.from_text(value)
    except ValueError as exc:  # ic's errors are ValueErrors
        raise InvalidRequest(field, f"not a valid principal: {exc}") from None


def optional_bool(value: Any, field: str) -> Optional[bool]:
    if is_absent(value):
        return None
    if not isinstance(value, bool):
        raise InvalidRequest(field, f"expected a boolean, found {describe(value)}")
    return value
