"""Errors of envelope parsing and request authentication.

The message of each error is the plain-text body of the replica's 400 answer, worded like the real
replica (IC `ingress_validation.rs`) where agent-js or people rely on the wording.
"""

from __future__ import annotations


class AuthError(ValueError):
    """A request that does not authenticate; `str(err)` is the HTTP 400 body."""

    status = 400


class MalformedRequest(AuthError):
    """The envelope or its content has the wrong shape."""

    def __init__(self, detail: str):
        super().__init__(f"Malformed request: {detail}")


class ExpiryError(AuthError):
    """`ingress_expiry` outside the window (agent-js reacts to this prefix by syncing its clock)."""

    PREFIX = "Invalid request expiry: "

    def __init__(self, detail: str):
        super().__init__(self.PREFIX + detail)


class DelegationExpired(AuthError):
    def __init__(self, detail: str):
        super().__init__(f"Invalid delegation expiry: {detail}")


class InvalidDelegation(AuthError):
    def __init__(self, detail: str):
        super().__init__(f"Invalid delegation: {detail}")


class InvalidSignature(AuthError):
    def __init__(self, detail: str):
        super().__init__(f"Invalid signature: {detail}")


class TargetNotAllowed(AuthError):
    def __init__(self, canister_text: str):
        super().__init__(f"Canister '{canister_text}' is not one of the delegation targets.")
