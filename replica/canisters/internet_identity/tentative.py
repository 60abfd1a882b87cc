"""Device registration mode and tentative devices ("add a device from another device").

Reference section 5 (tentative device): an authenticated device opens a 15-minute window; a new
device proposes itself and gets a 6-digit code (`u32 % 1_000_000`, zero padded); the old device
confirms the code; 3 wrong codes drop the registration; one tentative device at a time; at most
10 000 anchors in registration mode. A device whose public key any identity holds, or whose
credential id another identity holds, is refused ("used": the interface's one "passkey already
used" result covers both); confirming re-checks, since the key may have been taken meanwhile.
The v2 API (`authn_method_registration_mode_*`, `authn_method_register`, `authn_method_confirm`)
shares this state and adds a registration id of exactly 5 ASCII alphanumerics, looked up by
`lookup_by_registration_mode_id`.

Pairing started on the new device puts a *session* in the window instead of a device
(`authn_method_session_register`: the new device's self-authenticating principal gets a code the
same way). The right code confirms the session and keeps the window open: the confirmed session
may then add its passkey itself, with `authn_method_registration_mode_exit`. A window holds one
candidate, device or session, at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from replica.canisters.internet_identity.anchors import Device
from replica.canisters.internet_identity.devices import KeyAlreadyUsed, check_device_unused
from replica.canisters.internet_identity.state import State
from replica.runtime.contract import CanisterTrap

REGISTRATION_MODE_DURATION_NS = 900 * 1_000_000_000
MAX_ANCHORS_IN_REGISTRATION_MODE = 10_000
MAX_DEVICE_REGISTRATION_ATTEMPTS = 3


class WindowInProgress(Exception):
    """The identity's window is open already, under another registration id."""


@dataclass
class TentativeRegistration:
    expiration: int
    registration_id: str | None = None
    device: Device | None = None
    code: str | None = None
    failed_attempts: int = 0
    session: bytes | None = None  # the raw principal of a tentative (or confirmed) session
    session_confirmed: bool = False

    @property
    def occupied(self) -> bool:
        return self.device is not None or self.session is not None


def validate_registration_id(value: str) -> str | None:
    """None if valid, else why not."""
    if len(value) != 5 or not all(c.isascii() and c.isalnum() for c in value):
        return "RegistrationId must be exactly 5 ASCII alphanumeric characters"
    return None


class TentativeDevices:
    def __init__(self, state: State) -> None:
        self.state = state
        self.registrations: dict[int, TentativeRegistration] = {}
        self.by_id: dict[str, int] = {}

    def prune(self, now: int) -> None:
        for number in [n for n, r in self.registrations.items() if r.expiration <= now]:
            self._drop(number)

    def _drop(self, number: int) -> None:
        reg = self.registrations.pop(number, None)
        if reg is not None and reg.registration_id is not None:
            self.by_id.pop(reg.registration_id, None)

    def active(self, number: int, now: int) -> TentativeRegistration | None:
        reg = self.registrations.get(number)
        return reg if reg is not None and reg.expiration > now else None

    def enter(self, number: int, now: int, registration_id: str | None = None) -> int:
        """Open (or keep open) the window; returns its expiration. A window open under another
        registration id (or none) is `WindowInProgress`: the id a new device polls for must not be
        lost in it."""
        self.prune(now)
        existing = self.registrations.get(number)
        if existing is not None:
            if existing.registration_id != registration_id:
                raise WindowInProgress()
            return existing.expiration
        if len(self.registrations) >= MAX_ANCHORS_IN_REGISTRATION_MODE:
            raise CanisterTrap("too many anchors in device registration mode")
        reg = TentativeRegistration(now + REGISTRATION_MODE_DURATION_NS, registration_id)
        self.registrations[number] = reg
        if registration_id is not None:
            self.by_id[registration_id] = number
        return reg.expiration

    def id_in_use(self, registration_id: str, number: int, now: int) -> bool:
        self.prune(now)
        owner = self.by_id.get(registration_id)
        return owner is not None and owner != number

    def exit(self, number: int, now: int) -> None:
        self.prune(now)
        self._drop(number)

    def lookup_id(self, registration_id: str, now: int) -> int | None:
        number = self.by_id.get(registration_id)
        if number is None or self.active(number, now) is None:
            return None
        return number

    def add(self, number: int, device: Device, now: int) -> tuple[str, str | int]:
        """("mode_off"|"another"|"used", _) or ("added", (code, expiration))."""
        reg, refusal = self._open_window(number, now)
        if reg is None:
            return refusal, 0
        try:
            check_device_unused(self.state.storage, device, number)
        except KeyAlreadyUsed:
            return "used", 0
        reg.device = device
        return "added", self._new_code(reg)

    def add_session(self, number: int, principal_raw: bytes, now: int) -> tuple[str, tuple[str, int] | int]:
        """("mode_off"|"another", 0) or ("added", (code, expiration)): a session in the window."""
        reg, refusal = self._open_window(number, now)
        if reg is None:
            return refusal, 0
        reg.session = bytes(principal_raw)
        return "added", self._new_code(reg)

    def _open_window(self, number: int, now: int):
        """(the anchor's registration window, "") if nothing occupies it yet, else (None, why)."""
        self.prune(now)
        reg = self.registrations.get(number)
        if reg is None:
            return None, "mode_off"
        return (None, "another") if reg.occupied else (reg, "")

    def _new_code(self, reg) -> tuple[str, int]:
        """A fresh 6-digit confirmation code for the window (its tries start again)."""
        rand = int.from_bytes(self.state.random(4), "big")
        reg.code, reg.failed_attempts = f"{rand % 1_000_000:06d}", 0
        return reg.code, reg.expiration

    def confirmed_session(self, number: int, now: int) -> bytes | None:
        reg = self.active(number, now)
        return reg.session if reg is not None and reg.session_confirmed else None

    def verify(self, number: int, code: str, now: int) -> tuple[str, Device | int | None]:
        """("verified", device) | ("session_confirmed", None) | ("wrong_code", retries_left) |
        ("mode_off", None) | ("no_device", None). A verified device or an exhausted registration
        leaves registration mode; a confirmed session keeps it (the session adds its passkey)."""
        self.prune(now)
        reg = self.registrations.get(number)
        if reg is None:
            return "mode_off", None
        if not reg.occupied or reg.session_confirmed:
            return "no_device", None
        if code == reg.code:
            if reg.session is not None:
                reg.session_confirmed, reg.code = True, None
                return "session_confirmed", None
            self._drop(number)
            return "verified", reg.device
        reg.failed_attempts += 1
        retries_left = MAX_DEVICE_REGISTRATION_ATTEMPTS - reg.failed_attempts
        if retries_left <= 0:
            self._drop(number)
        return "wrong_code", retries_left

    def count(self, now: int) -> int:
        return sum(1 for r in self.registrations.values() if r.expiration > now)
