"""The II canister's refusals as typed errors, made once, where a call leaves `app/canister/client.py`.

Failed calls arrive as `ic.errors.ICError` (transport, HTTP status, a reject, a reply that does not
verify). `refusal(exc)` turns each into one `CanisterError` kind: the v1 device methods trap with a
sentence, and the words of that sentence name the refusal (the only place that reads them); the
v2 methods answer with variants, which become `RegistrationError` or `DeviceError` by their tag.
"""

from __future__ import annotations

from typing import Any, Optional

from ic.errors import ICError

from app.errors import AppError


class CanisterError(AppError):
    """Internet Identity refused a call, or could not be reached."""


class Unreachable(CanisterError):
    """No answer, or none that could be trusted (transport, HTTP status, certificate)."""

    def __init__(self, detail: object):
        super().__init__(f"Internet Identity could not do that: {detail}")


class Refused(CanisterError):
    """The canister rejected the call, for a reason no narrower kind names."""

    def __init__(self, detail: object):
        super().__init__(f"Internet Identity could not do that: {detail}")


class SessionEnded(CanisterError):
    def __init__(self) -> None:
        super().__init__("Your session has ended. Sign in again to manage your identity.")


class AlreadyUsed(CanisterError):
    def __init__(self) -> None:
        super().__init__("This passkey is already used by an identity.")


class DeviceLimit(CanisterError):
    def __init__(self) -> None:
        super().__init__("This identity has as many devices as it can have. Remove one first.")


class PhraseLocked(CanisterError):
    def __init__(self) -> None:
        super().__init__("This recovery phrase is locked. Unlock it with the phrase first.")


class NoDelegation(CanisterError):
    def __init__(self) -> None:
        super().__init__("Internet Identity did not produce the delegation (no_such_delegation); try again")


# The words of a v1 trap that name its refusal, in the order they are tried.
TRAPS = (
    ("could not be authenticated", SessionEnded),
    ("already used", AlreadyUsed),
    ("device limit", DeviceLimit),
    ("is locked", PhraseLocked),
    ("protected", PhraseLocked),
)


def refusal(exc: ICError) -> CanisterError:
    """The typed error of a call that failed with `exc`."""
    from ic.agent import RejectError

    detail = str(exc)
    for words, kind in TRAPS:
        if words in detail.lower():
            return kind()
    if isinstance(exc, RejectError):
        return Refused(detail)
    return Unreachable(detail)


class RegistrationError(CanisterError):
    """The canister refused a registration step; `reason` is the variant's tag."""

    MESSAGES = {
        "RateLimitExceeded": "Too many identities were created recently. Please try again in a few minutes.",
        "InvalidCaller": "This browser session cannot register an identity. Reload the page and try again.",
        "AlreadyInProgress": "A registration is already in progress in this session. Reload the page and try again.",
        "NoRegistrationFlow": "The registration expired. Please start again.",
        "UnexpectedCall": "The registration got out of step. Please start again.",
        "IdentityLimitReached": "Internet Identity cannot create more identities right now (the canister is full).",
        "StorageError": "Internet Identity could not store the new identity. Please try again.",
        "InvalidAuthnMethod": "The passkey was refused by Internet Identity.",
    }

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        super().__init__(self.MESSAGES.get(reason, f"Registration failed ({reason})."))


class DeviceError(CanisterError):
    """The canister refused a device change or an add-device step; `reason` is the variant's tag
    (v1 and v2 tags alike), `detail` its payload (for `wrong_code`: the retries left)."""

    MODE_OFF = ("Adding a device is not enabled for this identity, or its 15 minutes have passed. "
                "Start again from a signed-in device.")
    ANOTHER = "Another device is already waiting to be added to this identity. Finish or cancel that first."
    USED = "This passkey is already used by an identity."
    WRONG_CODE = "That code is not right."
    NOTHING = "No device is waiting to be added yet."
    MESSAGES = {
        "device_registration_mode_off": MODE_OFF, "RegistrationModeOff": MODE_OFF,
        "another_device_tentatively_added": ANOTHER, "RegistrationAlreadyInProgress": ANOTHER,
        "passkey_with_this_public_key_is_already_used": USED, "PasskeyWithThisPublicKeyIsAlreadyUsed": USED,
        "wrong_code": WRONG_CODE, "WrongCode": WRONG_CODE,
        "no_device_to_verify": NOTHING, "NoAuthnMethodToConfirm": NOTHING,
        "InvalidRegistrationId": "The add-device link is not valid.",
        "AlreadyInProgress": "Adding a device is already in progress for this identity.",
        "Unauthorized": "This session is not allowed to change this identity. Sign in again.",
    }

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        super().__init__(self.MESSAGES.get(reason) or f"Internet Identity refused the change ({reason}: {detail}).")

    @property
    def retries_left(self) -> Optional[int]:
        return int(self.detail) if self.reason in ("wrong_code", "WrongCode") else None


class IdentityNameRefused(CanisterError):
    """The canister refused the identity's new name (`identity_properties_replace`); `reason` is
    the variant's tag."""

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        if reason == "NameTooLong":
            limit = detail.get("limit") if isinstance(detail, dict) else None
            message = f"Internet Identity refused the name: it is too long (at most {limit} bytes)."
        elif reason == "Unauthorized":
            message = "This session is not allowed to change this identity. Sign in again."
        elif reason == "StorageSpaceExceeded":
            message = "Internet Identity refused the name: the identity has no room left for it."
        else:
            message = f"Internet Identity could not change the name ({reason}: {detail})."
        super().__init__(message)


class AccountRefused(CanisterError):
    """The canister refused an account change (`create_account`, `update_account`) or listing;
    `reason` is the variant's tag."""

    MESSAGES = {
        "NameTooLong": "That name is too long for an account (at most 255 bytes).",
        "AccountLimitReached": "This identity has as many accounts as it can have.",
        "Unauthorized": "This session is not allowed to change this identity's accounts. Sign in again.",
    }

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        super().__init__(self.MESSAGES.get(reason, f"Internet Identity could not do that ({reason}: {detail})."))


class AttributesRefused(CanisterError):
    """The canister refused to list or certify attributes; `reason` is the variant's tag
    (ValidationError, AuthorizationError, GetAccountError, AttributeMismatch, NoSuchSignature)."""

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        problems = detail.get("problems") if isinstance(detail, dict) else None
        if problems:
            shown = "; ".join(str(p) for p in problems[:5])
            super().__init__(f"{reason}: {shown}")
        elif reason == "GetAccountError" and isinstance(detail, dict):
            super().__init__(f"{reason}: {next(iter(detail), '')}")
        else:
            super().__init__(reason)
