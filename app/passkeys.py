"""Passkey (WebAuthn) ceremonies as plain data (pure; the browser calls live in app.browser).

The options follow the classic II's `creationOptions`: ES256, EdDSA and RS256; a resident key
preferred; no attestation; the identity's existing credentials excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.errors import AppError

ES256, EDDSA, RS256 = -7, -8, -257
DEFAULT_ALGORITHMS = (ES256, EDDSA, RS256)
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class CreationOptions:
    challenge: bytes
    rp_id: str
    user_id: bytes
    user_name: str
    rp_name: str = "Internet Identity"
    algorithms: tuple[int, ...] = DEFAULT_ALGORITHMS
    exclude_credentials: tuple[bytes, ...] = ()
    resident_key: str = "preferred"
    user_verification: str = "preferred"
    authenticator_attachment: str | None = None


@dataclass(frozen=True)
class RequestOptions:
    challenge: bytes
    rp_id: str
    allow_credentials: tuple[bytes, ...] = ()  # empty: a discoverable credential
    user_verification: str = "preferred"


@dataclass(frozen=True)
class NewCredential:
    credential_id: bytes
    attestation_object: bytes
    client_data_json: bytes


@dataclass(frozen=True)
class Assertion:
    credential_id: bytes
    authenticator_data: bytes
    client_data_json: bytes
    signature: bytes
    user_handle: bytes | None = None


class PasskeyFailure(str, Enum):
    CANCELLED = "cancelled"
    ALREADY_REGISTERED = "already-registered"
    UNSUPPORTED = "unsupported"
    SECURITY = "security"
    OTHER = "other"


# What the person reads when a prompt fails; the DOMException names are the WebAuthn spec's.
FAILURE_MESSAGES = {
    PasskeyFailure.CANCELLED: "The passkey prompt was cancelled or timed out. Try again when you are ready.",
    PasskeyFailure.ALREADY_REGISTERED: "This passkey is already registered. Use it to sign in instead.",
    PasskeyFailure.UNSUPPORTED: "This browser or device does not support passkeys.",
    PasskeyFailure.SECURITY: "The browser refused the passkey for this address (it must be a secure "
                             "context: https, localhost or *.localhost).",
    PasskeyFailure.OTHER: "The passkey operation failed.",
}
DOM_EXCEPTIONS = {
    "NotAllowedError": PasskeyFailure.CANCELLED,
    "AbortError": PasskeyFailure.CANCELLED,
    "InvalidStateError": PasskeyFailure.ALREADY_REGISTERED,
    "NotSupportedError": PasskeyFailure.UNSUPPORTED,
    "SecurityError": PasskeyFailure.SECURITY,
}


@dataclass
class PasskeyError(AppError):
    failure: PasskeyFailure
    detail: str = field(default="")

    def __str__(self) -> str:
        message = FAILURE_MESSAGES[self.failure]
        return f"{message} ({self.detail})" if self.detail else message


def classify_failure(dom_exception_name: str, message: str) -> PasskeyError:
    """`message` may already start with the exception's name (a JS error's text does)."""
    if dom_exception_name and not message.startswith(dom_exception_name):
        message = f"{dom_exception_name}: {message}"
    return PasskeyError(DOM_EXCEPTIONS.get(dom_exception_name, PasskeyFailure.OTHER), message)
