"""Device management on an authenticated anchor: add, update, replace, remove (v1 and v2).

Rules (reference section 5): a public key used on any anchor cannot be added again ("passkey
with this public key is already used": the real II's `check_passkey_pubkey_is_not_used`, called by
its `add`, `update`/`replace` when the key changes, and registration); nor can a WebAuthn
credential id that another anchor holds (our hardening, same wording with "credential id": the
real II's storage indexes credential ids, but no refusal of a duplicate shows in its source).
Registration (`registration.py`) and tentative devices (`tentative.py`) apply the same checks
through `check_device_unused`. A protected device (only recovery phrases can be) may be updated,
replaced or removed only by a caller authenticated with that very device; a device's key cannot
be changed by `update`. Every successful operation also records the acting device's last usage,
and is durable when it returns. The v1 API traps with the real II's messages; the v2 API returns
its `Err` variants where the interface has one.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace

from replica.canisters.internet_identity.anchors import Anchor, AnchorError, Device
from replica.canisters.internet_identity.state import State, self_authenticating
from replica.runtime.contract import CallContext, CanisterTrap
from replica.storage.base import Storage

PASSKEY_ALREADY_USED = "passkey with this public key is already used"
CREDENTIAL_ID_ALREADY_USED = "passkey with this credential id is already used"


class MutationNotAllowed(AnchorError):
    pass


class KeyAlreadyUsed(AnchorError):
    """The device's public key or credential id belongs to an identity already."""


class CredentialIdAlreadyUsed(KeyAlreadyUsed):
    pass


def check_key_unused(storage: Storage, pubkey: bytes) -> None:
    """Raise KeyAlreadyUsed if any anchor holds a device with this public key."""
    if storage.anchor_with_device_key(pubkey) is not None:
        raise KeyAlreadyUsed(
            f"{PASSKEY_ALREADY_USED}: expected a public key that no identity holds, found this"
            f" {len(pubkey)}-byte public key already registered to an identity"
        )


def check_credential_id_unused(storage: Storage, credential_id: bytes | None, anchor_number: int | None) -> None:
    """Raise CredentialIdAlreadyUsed if an anchor other than `anchor_number` (None: a new
    anchor) holds a device with this WebAuthn credential id."""
    if credential_id is None:
        return
    holder = storage.anchor_with_credential_id(credential_id)
    if holder is not None and holder != anchor_number:
        raise CredentialIdAlreadyUsed(
            f"{CREDENTIAL_ID_ALREADY_USED}: expected a credential id that no other identity holds,"
            f" found this {len(credential_id)}-byte credential id already registered to another identity"
        )


def check_device_unused(storage: Storage, device: Device, anchor_number: int | None = None) -> None:
    """Raise KeyAlreadyUsed unless `device` may join anchor `anchor_number` (None: a new anchor):
    its public key on no anchor at all, its credential id (if any) on no other anchor."""
    check_key_unused(storage, device.pubkey)
    check_credential_id_unused(storage, device.credential_id, anchor_number)


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

    # Each operation mutates `anchor` (already authenticated, last usage recorded) and raises
    # AnchorError without having written anything; the caller writes the anchor.

    def add(self, anchor: Anchor, device: Device) -> None:
        check_device_unused(self.state.storage, device, anchor.number)
        anchor.add_device(dc_replace(device, last_usage=None))

    def update(self, ctx: CallContext, anchor: Anchor, pubkey: bytes, device: Device) -> None:
        existing = anchor.device(pubkey)
        if existing is None:
            raise AnchorError("Could not find device to update, check device key")
        check_mutation_allowed(ctx, existing)
        if device.credential_id != existing.credential_id:
            check_credential_id_unused(self.state.storage, device.credential_id, anchor.number)
        anchor.modify_device(pubkey, device)

    def replace(self, ctx: CallContext, anchor: Anchor, old_pubkey: bytes, device: Device) -> None:
        existing = anchor.device(old_pubkey)
        if existing is None:
            raise AnchorError(f"Device with key {old_pubkey.hex()} not found.")
        check_mutation_allowed(ctx, existing)
        if device.pubkey != old_pubkey:
            check_key_unused(self.state.storage, device.pubkey)
        check_credential_id_unused(self.state.storage, device.credential_id, anchor.number)
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
