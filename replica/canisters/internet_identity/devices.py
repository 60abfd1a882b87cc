"""Device management on an authenticated anchor: add, update, replace, remove (v1 and v2).

Rules (reference section 5): a public key used on any anchor cannot be added again ("passkey
with this public key is already used"); a protected device (only recovery phrases can be) may be
updated, replaced or removed only by a caller authenticated with that very device; a device's key
cannot be changed by `update`. Every successful operation also records the acting device's last
usage, and is durable when it returns. The v1 API traps with the real II's messages; the v2 API
returns its `Err` variants where the interface has one.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace

from replica.canisters.internet_identity.anchors import Anchor, AnchorError, Device
from replica.canisters.internet_identity.state import State, self_authenticating
from replica.runtime.contract import CallContext, CanisterTrap

PASSKEY_ALREADY_USED = "passkey with this public key is already used"


class MutationNotAllowed(AnchorError):
    pass


class KeyAlreadyUsed(AnchorError):
    pass


def check_mutation_allowed(ctx: CallContext, device: Device) -> None:
    if device.protection == "protected":
        authorized = self_authenticating(device.pubkey)
        if ctx.caller.raw != authorized.raw:
            raise MutationNotAllowed(
                "Device is locked. Must be authenticated with this device to mutate:"
                f" authorized principal {authorized.to_text()}, actual principal {ctx.caller.to_text()}"
            )


class DeviceOps:
    def __init__(self, state: State) -> None:
        self.state = state

    def check_key_unused(self, pubkey: bytes) -> None:
        if self.state.storage.anchor_with_device_key(pubkey) is not None:
            raise KeyAlreadyUsed(PASSKEY_ALREADY_USED)

    # Each operation mutates `anchor` (already authenticated, last usage recorded) and raises
    # AnchorError without having written anything; the caller writes the anchor.

    def add(self, anchor: Anchor, device: Device) -> None:
        self.check_key_unused(device.pubkey)
        anchor.add_device(dc_replace(device, last_usage=None))

    def update(self, ctx: CallContext, anchor: Anchor, pubkey: bytes, device: Device) -> None:
        existing = anchor.device(pubkey)
        if existing is None:
            raise AnchorError("Could not find device to update, check device key")
        check_mutation_allowed(ctx, existing)
        anchor.modify_device(pubkey, device)

    def replace(self, ctx: CallContext, anchor: Anchor, old_pubkey: bytes, device: Device) -> None:
        existing = anchor.device(old_pubkey)
        if existing is None:
            raise AnchorError(f"Device with key {old_pubkey.hex()} not found.")
        check_mutation_allowed(ctx, existing)
        if device.pubkey != old_pubkey:
            self.check_key_unused(device.pubkey)
        trial = Anchor(anchor.number, list(anchor.devices), anchor.metadata, anchor.name, anchor.created_at)
        trial.remove_device(old_pubkey)
        trial.add_device(dc_replace(device, last_usage=None))
        anchor.devices = trial.devices
        self.state.remove_temp_key(anchor.number, old_pubkey)

    def remove(self, ctx: CallContext, anchor: Anchor, pubkey: bytes) -> None:
        existing = anchor.device(pubkey)
        if existing is None:
            raise AnchorError(f"Device with key {pubkey.hex()} not found.")
        check_mutation_allowed(ctx, existing)
        anchor.remove_device(pubkey)
        self.state.remove_temp_key(anchor.number, pubkey)

    # --- legacy (v1) wrappers: authenticate, apply, write; trap on any failure ----------------

    def v1(self, ctx: CallContext, number: int, what: str, op) -> None:
        anchor, _ = self.state.authenticate_or_trap(ctx, number)
        try:
            op(anchor)
        except KeyAlreadyUsed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            raise CanisterTrap(f"failed to {what} device: {err}") from None
        self.state.write_anchor(anchor)
