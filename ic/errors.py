"""One base exception for the `ic` package and one subclass per layer.

Every error also subclasses `ValueError`, so callers that only care about "bad input" can catch
that. Messages name what was wrong and where (offset, field, expected vs found).
"""


class ICError(ValueError):
    """Base class of every error raised by the `ic` package."""


class CborError(ICError):
    """Malformed, oversized or unsupported CBOR."""


class CandidError(ICError):
    """Malformed Candid: bad `.did` text, bad binary message, type mismatch, limits exceeded."""


class PrincipalError(ICError):
    """Bad principal bytes or text form."""


class RequestIdError(ICError):
    """A value that has no representation-independent hash."""


class HashTreeError(ICError):
    """Malformed hash tree."""


class CertificateError(ICError):
    """A certificate that cannot be decoded or does not verify."""


class KeyFormatError(ICError):
    """Bad DER/COSE public key, or an unsupported algorithm."""


class SignatureError(ICError):
    """A signature that does not verify."""


class DelegationError(ICError):
    """A malformed or invalid delegation chain."""


class WebAuthnError(ICError):
    """Malformed WebAuthn data or a WebAuthn signature that does not verify."""


class AgentError(ICError):
    """A failed call through `ic.agent` (transport, status, reject, bad reply)."""
