"""Errors of `ic.agent`, one per way a call can fail (ic-interface-facts §1.7, §2 "Reject codes").

All subclass `ic.errors.AgentError` (itself a `ValueError`). Certificate problems are not wrapped:
`ic.errors.CertificateError` from `ic.certificate` passes through unchanged, so a caller can tell a
forged or stale certificate from a replica that said no.
"""

from __future__ import annotations

from typing import Optional

from ic.errors import AgentError

REJECT_CODE_NAMES = {
    1: "SYS_FATAL",
    2: "SYS_TRANSIENT",
    3: "DESTINATION_INVALID",
    4: "CANISTER_REJECT",
    5: "CANISTER_ERROR",
    6: "SYS_UNKNOWN",
}
INGRESS_EXPIRY_PREFIX = "Invalid request expiry: "


class TransportError(AgentError):
    """The request never got an HTTP answer (connection refused, DNS, timeout, aborted fetch)."""


class HttpError(AgentError):
    """The replica answered with an HTTP status the agent does not accept; `text` is its reason."""

    def __init__(self, status: int, text: str, *, url_path: str = ""):
        self.status = status
        self.text = text
        self.url_path = url_path
        where = f" for {url_path}" if url_path else ""
        super().__init__(f"HTTP {status}{where}: {text.strip() or '(empty body)'}")


class IngressExpiryError(HttpError):
    """HTTP 400 `Invalid request expiry: ...`: the local clock and the replica's disagree."""


class RejectError(AgentError):
    """The canister or the system rejected the call.

    `certified` says whether the reject came from a verified certificate (an update's request
    status) or, for queries and pre-execution rejects, from a node-signed or unsigned answer.
    """

    def __init__(
        self,
        code: int,
        message: str,
        error_code: Optional[str] = None,
        *,
        method: str = "",
        certified: bool = False,
        request_id: Optional[bytes] = None,
    ):
        self.code = code
        self.message = message
        self.error_code = error_code
        self.method = method
        self.certified = certified
        self.request_id = request_id
        name = REJECT_CODE_NAMES.get(code, "unknown")
        parts = [f"reject code {code} ({name})"]
        if error_code:
            parts.append(f"error code {error_code}")
        call = f"call to {method!r} rejected" if method else "call rejected"
        super().__init__(f"{call}: {', '.join(parts)}: {message}")


class ResponseError(AgentError):
    """The replica's answer is malformed or inconsistent (bad CBOR, missing field, wrong type)."""


class QuerySignatureError(AgentError):
    """A query response's node signature is missing, stale, or does not verify."""


class NodeKeysError(AgentError):
    """The subnet's node keys could not be read from a verified `/subnet` certificate."""


class PollTimeoutError(AgentError):
    """An update's request status did not reach `replied`/`rejected` in time."""


class RequestStatusError(AgentError):
    """The request status is terminal but carries no answer (`done`: the reply was pruned)."""
