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


@dataclass
class TentativeRegistration:
    expiration: int
    registration_id: str | None = None
    device: Device | None = None
    code: str | None = None
    failed_attempts: int = 0


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
        """Open (or keep open) the window; returns its expiration."""
        self.prune(now)
        existing = self.registrations.get(number)
        if existing is not None:
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
        self.prune(now)
        reg = self.registrations.get(number)
        if reg is None:
            return "mode_off", 0
        if reg.device is not None:
            return "another", 0
        try:
            check_device_unused(self.state.storage, device, number)
        except KeyAlreadyUsed:
            return "used", 0
        rand = int.from_bytes(self.state.random(4), "big")
        reg.device, reg.code, reg.failed_attempts = device, f"{rand % 1_000_000:06d}", 0
        return "added", (reg.code, reg.expiration)

    def verify(self, number: int, code: str, now: int) -> tuple[str, Device | int | None]:
        """("verified", device) | ("wrong_code", retries_left) | ("mode_off", None) |
        ("no_device", None). A verified or exhausted registration leaves registration mode."""
        self.prune(now)
        reg = self.registrations.get(number)
        if reg is None:
            return "mode_off", None
        if reg.device is None:
            return "no_device", None
        if code == reg.code:
            self._drop(number)
            return "verified", reg.device
        reg.failed_attempts += 1
        retries_left = MAX_DEVICE_REGISTRATION_ATTEMPTS - reg.failed_attempts
        if retries_left <= 0:
            self._drop(number)
        return "wrong_code", retries_left

    def count(self, now: int) -> int:
        return sum(1 for r in self.registrations.values() if r.expiration > now)
