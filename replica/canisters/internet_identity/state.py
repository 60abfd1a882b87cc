"""The canister's state: durable anchors/salt in storage, volatile flows in memory.

Like the real II, captcha challenges, registration flows, device registration mode, temporary
keys, the rate-limit bucket and the signature map live in (heap) memory; anchors, the salt and the
settings are durable. Also here: reading/writing anchors and the authorization check every
anchor operation starts with (reference section 3, "A").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from replica.canisters.internet_identity.anchors import Anchor
from replica.canisters.internet_identity.settings import Settings
from replica.runtime.contract import CallContext, CanisterTrap
from replica.storage.base import Storage

TEMP_KEY_EXPIRATION_NS = 10 * 60 * 1_000_000_000


def self_authenticating(pubkey: bytes):
    from ic.principal import Principal

    return Principal.self_authenticating(pubkey)


def is_anonymous(principal) -> bool:
    return principal.raw == b"\x04"


@dataclass
class Counters:
    delegations: int = 0
    anchor_operations: int = 0


@dataclass
class TempKey:
    principal_raw: bytes
    expiration: int


@dataclass
class State:
    storage: Storage
    settings: Settings
    dummy_captcha: bool
    random: Callable[[int], bytes]
    counters: Counters = field(default_factory=Counters)
    # (anchor, device pubkey) -> temporary key standing in for that device
    temp_keys: dict[tuple[int, bytes], TempKey] = field(default_factory=dict)

    # --- anchors -------------------------------------------------------------------------------

    def read_anchor(self, number: int) -> Anchor | None:
        record = self.storage.read_anchor(number)
        return Anchor.from_record(record) if record else None

    def write_anchor(self, anchor: Anchor) -> None:
        self.storage.write_anchor(anchor.to_record())
        self.counters.anchor_operations += 1

    # --- temporary keys ------------------------------------------------------------------------

    def add_temp_key(self, anchor: int, pubkey: bytes, principal, now: int) -> None:
        self.prune_temp_keys(now)
        self.temp_keys[(anchor, pubkey)] = TempKey(principal.raw, now + TEMP_KEY_EXPIRATION_NS)

    def remove_temp_key(self, anchor: int, pubkey: bytes) -> None:
        self.temp_keys.pop((anchor, pubkey), None)

    def prune_temp_keys(self, now: int) -> None:
        for key in [k for k, v in self.temp_keys.items() if v.expiration <= now]:
            del self.temp_keys[key]

    # --- authorization -------------------------------------------------------------------------

    def authorized_device(self, ctx: CallContext, anchor: Anchor) -> bytes | None:
        """The pubkey of the anchor's device the caller acts as, or None."""
        caller = ctx.caller.raw
        for device in anchor.devices:
            if self_authenticating(device.pubkey).raw == caller:
                return device.pubkey
            temp = self.temp_keys.get((anchor.number, device.pubkey))
            if temp is not None and temp.principal_raw == caller and temp.expiration > ctx.time_ns:
                return device.pubkey
        return None

    def authenticate(self, ctx: CallContext, number: int) -> tuple[Anchor, bytes] | None:
        """(anchor, device pubkey) if the caller may act on anchor `number`; None otherwise.

        On an update call the device's last usage is recorded (not yet written).
        """
        anchor = self.read_anchor(number)
        if anchor is None:
            return None
        pubkey = self.authorized_device(ctx, anchor)
        if pubkey is None:
            return None
        if not ctx.is_query:
            anchor.set_last_usage(pubkey, ctx.time_ns)
        return anchor, pubkey

    def authenticate_or_trap(self, ctx: CallContext, number: int) -> tuple[Anchor, bytes]:
        """The legacy API's check: trap with the real II's message when unauthorized."""
        result = self.authenticate(ctx, number)
        if result is None:
            raise CanisterTrap(f"{ctx.caller.to_text()} could not be authenticated.")
        return result
