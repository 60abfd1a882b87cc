"""The legacy (v1) identity-management API and the delegation methods (reference section 3).

Handlers of `InternetIdentityCanister` (mixed in): each checks the caller and hands off to
registration, devices, tentative devices or delegations. Failures trap with the real II's
messages; expected outcomes (bad challenge, wrong code, unknown anchor in lookups) are results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ic.principal import Principal
from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.anchors import Anchor, AnchorError, check_device
from replica.canisters.internet_identity.delegation import check_frontend_length
from replica.canisters.internet_identity.devices import KeyAlreadyUsed
from replica.canisters.internet_identity.tentative import WindowInProgress
from replica.runtime.contract import CallContext, CanisterTrap

if TYPE_CHECKING:
    from replica.canisters.internet_identity.delegation import Delegations
    from replica.canisters.internet_identity.devices import DeviceOps
    from replica.canisters.internet_identity.registration import Registration
    from replica.canisters.internet_identity.state import State
    from replica.canisters.internet_identity.tentative import TentativeDevices


class LegacyApi:
    """Mixed into `InternetIdentityCanister`, which provides these collaborators."""

    state: "State"
    registration: "Registration"
    tentative: "TentativeDevices"
    delegations: "Delegations"
    devices: "DeviceOps"

    # --- legacy API ----------------------------------------------------------------------------

    def _init_salt(self, ctx: CallContext) -> list:
        self.delegations.init_salt()
        return []

    def _create_challenge(self, ctx: CallContext) -> list:
        return [self.registration.create_challenge(ctx)]

    def _register(self, ctx: CallContext, device_data: dict, challenge: dict, temp_key) -> list:
        device = wire.device_from_candid(device_data)
        self.delegations.ensure_salt()
        result = self.registration.register(
            ctx, device, challenge["key"], challenge["chars"], wire.unopt(temp_key)
        )
        return [result]

    def _add(self, ctx: CallContext, number: int, device_data: dict) -> list:
        device = wire.device_from_candid(device_data)
        self.devices.v1(ctx, number, "add", lambda a: self.devices.add(a, device))
        return []

    def _update(self, ctx: CallContext, number: int, pubkey: bytes, device_data: dict) -> list:
        device = wire.device_from_candid(device_data)
        self.devices.v1(ctx, number, "modify", lambda a: self.devices.update(ctx, a, bytes(pubkey), device))
        return []

    def _replace(self, ctx: CallContext, number: int, pubkey: bytes, device_data: dict) -> list:
        device = wire.device_from_candid(device_data)
        self.devices.v1(ctx, number, "replace", lambda a: self.devices.replace(ctx, a, bytes(pubkey), device))
        return []

    def _remove(self, ctx: CallContext, number: int, pubkey: bytes) -> list:
        self.devices.v1(ctx, number, "remove", lambda a: self.devices.remove(ctx, a, bytes(pubkey)))
        return []

    def _lookup(self, ctx: CallContext, number: int) -> list:
        anchor = self.state.read_anchor(int(number))
        if anchor is None:
            return [[]]
        devices = sorted(anchor.devices, key=lambda d: d.last_usage or 0, reverse=True)
        return [[wire.device_to_candid(d, clear_alias=True) for d in devices]]

    def _get_anchor_credentials(self, ctx: CallContext, number: int) -> list:
        anchor = self.state.read_anchor(int(number))
        credentials, recovery_credentials, phrases = [], [], []
        for d in anchor.devices if anchor else []:
            if d.key_type == "seed_phrase":
                phrases.append(d.pubkey)
            elif d.credential_id is not None:
                entry = {"credential_id": d.credential_id, "pubkey": d.pubkey}
                (recovery_credentials if d.purpose == "recovery" else credentials).append(entry)
        return [{"credentials": credentials, "recovery_credentials": recovery_credentials,
                 "recovery_phrases": phrases}]

    def _get_anchor_info(self, ctx: CallContext, number: int) -> list:
        anchor, _ = self.state.authenticate_or_trap(ctx, int(number))
        self.state.write_anchor(anchor)  # records the device's last usage
        reg = self.tentative.active(anchor.number, ctx.time_ns)
        registration = None
        if reg is not None:
            registration = {
                "tentative_device": wire.opt(None if reg.device is None else wire.device_to_candid(reg.device)),
                "tentative_session": wire.opt(None if reg.session is None or reg.session_confirmed
                                              else Principal(reg.session)),
                "expiration": reg.expiration,
            }
        return [{
            "devices": [wire.device_to_candid(d, with_usage=True) for d in anchor.devices],
            "device_registration": wire.opt(registration),
            "openid_credentials": wire.opt([]),
            "name": wire.opt(anchor.name),
            "created_at": wire.opt(anchor.created_at),
        }]

    def _get_principal(self, ctx: CallContext, number: int, frontend: str) -> list:
        self.state.authenticate_or_trap(ctx, int(number))
        return [self.delegations.get_principal(ctx, int(number), frontend)]

    def _enter_device_registration_mode(self, ctx: CallContext, number: int) -> list:
        anchor, _ = self.state.authenticate_or_trap(ctx, int(number))
        self.state.write_anchor(anchor)
        try:
            return [self.tentative.enter(anchor.number, ctx.time_ns)]
        except WindowInProgress:
            raise CanisterTrap("Already in progress") from None

    def _exit_device_registration_mode(self, ctx: CallContext, number: int) -> list:
        anchor, _ = self.state.authenticate_or_trap(ctx, int(number))
        self.state.write_anchor(anchor)
        self.tentative.exit(anchor.number, ctx.time_ns)
        return []

    def _add_tentative_device(self, ctx: CallContext, number: int, device_data: dict) -> list:
        device = wire.device_from_candid(device_data)
        try:
            check_device(device)
        except AnchorError as err:
            raise CanisterTrap(f"invalid tentative device: {err}") from None
        outcome, info = self.tentative.add(int(number), device, ctx.time_ns)
        if outcome == "mode_off":
            return [{"device_registration_mode_off": None}]
        if outcome == "another":
            return [{"another_device_tentatively_added": None}]
        if outcome == "used":
            return [{"passkey_with_this_public_key_is_already_used": None}]
        code, timeout = info
        return [{"added_tentatively": {"verification_code": code, "device_registration_timeout": timeout}}]

    def _confirm_tentative(self, ctx: CallContext, anchor, code: str):
        """Shared by v1 verify and v2 confirm: (outcome, info) after applying a verified device.

        A device that cannot be added raises before the registration is consumed."""
        reg = self.tentative.active(anchor.number, ctx.time_ns)
        if reg is not None and reg.device is not None and code == reg.code:
            trial = Anchor(anchor.number, list(anchor.devices), anchor.metadata)
            self.devices.add(trial, reg.device)
        outcome, info = self.tentative.verify(anchor.number, code, ctx.time_ns)
        if outcome == "verified":
            self.devices.add(anchor, info)
        return outcome, info

    def _verify_tentative_device(self, ctx: CallContext, number: int, code: str) -> list:
        anchor, _ = self.state.authenticate_or_trap(ctx, int(number))
        try:
            outcome, info = self._confirm_tentative(ctx, anchor, code)
        except KeyAlreadyUsed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            raise CanisterTrap(f"failed to add device: {err}") from None
        self.state.write_anchor(anchor)
        if outcome in ("verified", "session_confirmed"):
            return [{"verified": None}]
        if outcome == "wrong_code":
            return [{"wrong_code": {"retries_left": info}}]
        if outcome == "mode_off":
            return [{"device_registration_mode_off": None}]
        return [{"no_device_to_verify": None}]

    # --- delegation ----------------------------------------------------------------------------

    def _prepare_delegation(self, ctx, number: int, frontend: str, session_key: bytes, max_ttl) -> list:
        anchor, _ = self.state.authenticate_or_trap(ctx, int(number))
        check_frontend_length(frontend)
        self.state.write_anchor(anchor)  # records the device's last usage
        user_key, expiration = self.delegations.prepare(
            ctx, anchor.number, frontend, bytes(session_key), wire.unopt(max_ttl)
        )
        return [user_key, expiration]

    def _get_delegation(self, ctx, number: int, frontend: str, session_key: bytes, expiration: int) -> list:
        self.state.authenticate_or_trap(ctx, int(number))
        return [self.delegations.get(ctx, int(number), frontend, bytes(session_key), int(expiration))]
