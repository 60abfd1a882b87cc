"""The v2 identity API ("experimental" in the .did): registration flow, identity info,
authentication methods and registration mode (reference section 3, V2 API).

Handlers of `InternetIdentityCanister` (mixed in). They answer with the interface's `Err`
variants (`Unauthorized(caller)` and the like) where it has one, and trap otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import replace as dc_replace

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.anchors import (
    VARIABLE_FIELDS_LIMIT,
    AnchorError,
    Device,
    NameTooLong,
    check_device,
    metadata_len,
)
from replica.canisters.internet_identity.devices import KeyAlreadyUsed, MutationNotAllowed
from replica.canisters.internet_identity.tentative import WindowInProgress, validate_registration_id
from ic.principal import Principal
from replica.runtime.contract import CallContext, CanisterTrap

if TYPE_CHECKING:
    from replica.canisters.internet_identity.delegation import Delegations
    from replica.canisters.internet_identity.devices import DeviceOps
    from replica.canisters.internet_identity.registration import Registration
    from replica.canisters.internet_identity.state import State
    from replica.canisters.internet_identity.tentative import TentativeDevices


class V2Api:
    """Mixed into `InternetIdentityCanister`, which provides these collaborators."""

    state: "State"
    registration: "Registration"
    tentative: "TentativeDevices"
    delegations: "Delegations"
    devices: "DeviceOps"

    def _v2_auth(self, ctx: CallContext, number: int):
        """(anchor, device) or None; v2 methods answer `Unauthorized(caller)` on None."""
        return self.state.authenticate(ctx, int(number))

    @staticmethod
    def _unauthorized(ctx: CallContext) -> dict:
        return {"Err": {"Unauthorized": ctx.caller}}

    def _v2_auth_or_trap(self, ctx: CallContext, number: int):
        return self.state.authenticate_or_trap(ctx, int(number))

    # --- v2 registration ------------------------------------------------------------------------

    def _identity_registration_start(self, ctx: CallContext) -> list:
        return [self.registration.start(ctx)]

    def _check_captcha(self, ctx: CallContext, arg: dict) -> list:
        return [self.registration.check_captcha(ctx, arg["solution"])]

    def _identity_registration_finish(self, ctx: CallContext, arg: dict) -> list:
        try:
            device: Device | str = wire.authn_method_from_candid(arg["authn_method"])
        except wire.InvalidAuthnMethod as err:
            device = str(err)
        self.delegations.ensure_salt()
        return [self.registration.finish(ctx, device, wire.unopt(arg.get("name")))]

    # --- v2 identity -----------------------------------------------------------------------------

    def _registration_info_v2(self, number: int, now: int):
        reg = self.tentative.active(number, now)
        if reg is None:
            return None
        return {
            "authn_method": wire.opt(None if reg.device is None else wire.authn_method_to_candid(reg.device)),
            "session": wire.opt(None if reg.session is None or reg.session_confirmed else Principal(reg.session)),
            "expiration": reg.expiration,
        }

    def _identity_info(self, ctx: CallContext, number: int) -> list:
        auth = self._v2_auth(ctx, number)
        if auth is None:
            return [self._unauthorized(ctx)]
        anchor, _ = auth
        self.state.write_anchor(anchor)
        return [{"Ok": {
            "authn_methods": [wire.authn_method_to_candid(d) for d in anchor.devices],
            "authn_method_registration": wire.opt(self._registration_info_v2(anchor.number, ctx.time_ns)),
            "openid_credentials": wire.opt([]),
            "metadata": wire.metadata_to_candid(anchor.metadata or {}, v2=True),
            "name": wire.opt(anchor.name),
            "created_at": wire.opt(anchor.created_at),
            "email_recovery": wire.opt(None),
        }}]

    def _identity_authn_info(self, ctx: CallContext, number: int) -> list:
        anchor = self.state.read_anchor(int(number))
        if anchor is None:
            return [{"Err": None}]
        auth = [wire.public_authn_method_to_candid(d) for d in anchor.devices if d.purpose != "recovery"]
        recovery = [wire.public_authn_method_to_candid(d) for d in anchor.devices if d.purpose == "recovery"]
        return [{"Ok": {"authn_methods": auth, "recovery_authn_methods": recovery}}]

    def _identity_metadata_replace(self, ctx: CallContext, number: int, metadata: list) -> list:
        auth = self._v2_auth(ctx, number)
        if auth is None:
            return [self._unauthorized(ctx)]
        anchor, _ = auth
        new = wire.metadata_from_candid(metadata, v2=True)
        try:
            anchor.replace_metadata(new)
        except AnchorError:
            used = anchor.variable_fields_len() - (metadata_len(anchor.metadata) if anchor.metadata else 0)
            return [{"Err": {"StorageSpaceExceeded": {
                "space_available": max(0, VARIABLE_FIELDS_LIMIT - used),
                "space_required": metadata_len(new),
            }}}]
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _identity_properties_replace(self, ctx: CallContext, number: int, properties: dict) -> list:
        """Set the identity's name (`name = null` removes it); at most 128 bytes of UTF-8."""
        auth = self._v2_auth(ctx, number)
        if auth is None:
            return [self._unauthorized(ctx)]
        anchor, _ = auth
        try:
            anchor.set_name(wire.unopt(properties.get("name")))
        except NameTooLong as err:
            return [{"Err": {"NameTooLong": {"limit": err.limit}}}]
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _authn_method_add(self, ctx: CallContext, number: int, data: dict) -> list:
        anchor, _ = self._v2_auth_or_trap(ctx, number)
        try:
            device = wire.authn_method_from_candid(data)
            self.devices.add(anchor, device)
        except wire.InvalidAuthnMethod as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        except KeyAlreadyUsed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _authn_method_remove(self, ctx: CallContext, number: int, pubkey: bytes) -> list:
        anchor, _ = self._v2_auth_or_trap(ctx, number)
        if anchor.device(bytes(pubkey)) is None:
            return [{"Err": None}]
        try:
            self.devices.remove(ctx, anchor, bytes(pubkey))
        except AnchorError as err:
            raise CanisterTrap(f"failed to remove authn method: {err}") from None
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _authn_method_replace(self, ctx: CallContext, number: int, pubkey: bytes, data: dict) -> list:
        anchor, _ = self._v2_auth_or_trap(ctx, number)
        if anchor.device(bytes(pubkey)) is None:
            return [{"Err": {"AuthnMethodNotFound": None}}]
        try:
            device = wire.authn_method_from_candid(data)
            self.devices.replace(ctx, anchor, bytes(pubkey), device)
        except wire.InvalidAuthnMethod as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        except KeyAlreadyUsed:
            return [{"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}]
        except MutationNotAllowed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _authn_method_metadata_replace(self, ctx, number: int, pubkey: bytes, metadata: list) -> list:
        anchor, _ = self._v2_auth_or_trap(ctx, number)
        existing = anchor.device(bytes(pubkey))
        if existing is None:
            return [{"Err": {"AuthnMethodNotFound": None}}]
        data = wire.authn_method_to_candid(existing)
        data["metadata"] = metadata
        try:
            device = wire.authn_method_from_candid(data)
            self.devices.update(ctx, anchor, bytes(pubkey), device)
        except wire.InvalidAuthnMethod as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        except MutationNotAllowed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    def _authn_method_security_settings_replace(self, ctx, number: int, pubkey: bytes, settings: dict) -> list:
        anchor, _ = self._v2_auth_or_trap(ctx, number)
        existing = anchor.device(bytes(pubkey))
        if existing is None:
            return [{"Err": {"AuthnMethodNotFound": None}}]
        protection, purpose = wire.security_settings_from_candid(settings)
        try:
            self.devices.update(ctx, anchor, bytes(pubkey), dc_replace(existing, protection=protection, purpose=purpose))
        except AnchorError as err:
            raise CanisterTrap(f"failed to replace security settings: {err}") from None
        self.state.write_anchor(anchor)
        return [{"Ok": None}]

    # --- v2 registration mode --------------------------------------------------------------------

    def _authn_method_registration_mode_enter(self, ctx, number: int, registration_id) -> list:
        registration_id = wire.unopt(registration_id)
        if registration_id is not None:
            problem = validate_registration_id(registration_id)
            if problem:
                return [{"Err": {"InvalidRegistrationId": problem}}]
        auth = self._v2_auth(ctx, number)
        if auth is None:
            return [self._unauthorized(ctx)]
        anchor, _ = auth
        if registration_id is not None and self.tentative.id_in_use(registration_id, anchor.number, ctx.time_ns):
            return [{"Err": {"AlreadyInProgress": None}}]
        self.state.write_anchor(anchor)
        try:
            expiration = self.tentative.enter(anchor.number, ctx.time_ns, registration_id)
        except WindowInProgress:
            return [{"Err": {"AlreadyInProgress": None}}]
        return [{"Ok": {"expiration": expiration}}]

    def _authn_method_registration_mode_exit(self, ctx, number: int, data) -> list:
        """With an authn method while a confirmed session waits, the session (the caller) adds it
        as its passkey, and may act for it for a while (a temporary key: the new device need not
        prompt twice); otherwise an authenticated caller closes the window."""
        data = wire.unopt(data)
        session = None if data is None else self.tentative.confirmed_session(int(number), ctx.time_ns)
        if session is None:
            auth = self._v2_auth(ctx, number)
            if auth is None:
                return [self._unauthorized(ctx)]
            anchor, _ = auth
            self.state.write_anchor(anchor)
        elif ctx.caller.raw != session:
            return [self._unauthorized(ctx)]
        else:
            problem = self._add_session_passkey(ctx, int(number), data)
            if problem is not None:
                return [{"Err": problem}]
        self.tentative.exit(int(number), ctx.time_ns)
        return [{"Ok": None}]

    def _add_session_passkey(self, ctx, number: int, data: dict) -> dict | None:
        try:
            device = wire.authn_method_from_candid(data)
            check_device(device)
        except (wire.InvalidAuthnMethod, AnchorError) as err:
            return {"InvalidMetadata": str(err)}
        anchor = self.state.read_anchor(number)
        try:
            self.devices.add(anchor, device)
        except KeyAlreadyUsed:
            return {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}
        except AnchorError as err:
            return {"InternalCanisterError": str(err)}
        self.state.write_anchor(anchor)
        self.state.add_temp_key(number, device.pubkey, ctx.caller, ctx.time_ns)
        return None

    def _authn_method_register(self, ctx, number: int, data: dict) -> list:
        try:
            device = wire.authn_method_from_candid(data)
            check_device(device)
        except (wire.InvalidAuthnMethod, AnchorError) as err:
            return [{"Err": {"InvalidMetadata": str(err)}}]
        outcome, info = self.tentative.add(int(number), device, ctx.time_ns)
        if outcome == "mode_off":
            return [{"Err": {"RegistrationModeOff": None}}]
        if outcome == "another":
            return [{"Err": {"RegistrationAlreadyInProgress": None}}]
        if outcome == "used":
            return [{"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}]
        code, expiration = info
        return [{"Ok": {"confirmation_code": code, "expiration": expiration}}]

    def _authn_method_session_register(self, ctx, number: int) -> list:
        if not ctx.caller.is_self_authenticating():
            return [{"Err": {"NotSelfAuthenticating": ctx.caller}}]
        outcome, info = self.tentative.add_session(int(number), ctx.caller.raw, ctx.time_ns)
        if outcome == "mode_off":
            return [{"Err": {"RegistrationModeOff": None}}]
        if outcome == "another":
            return [{"Err": {"RegistrationAlreadyInProgress": None}}]
        code, expiration = info
        return [{"Ok": {"confirmation_code": code, "expiration": expiration}}]

    def _authn_method_session_info(self, ctx, number: int) -> list:
        """The identity's name and creation time, for its confirmed session only."""
        if self.tentative.confirmed_session(int(number), ctx.time_ns) != ctx.caller.raw:
            return [wire.opt(None)]
        anchor = self.state.read_anchor(int(number))
        if anchor is None:
            return [wire.opt(None)]
        return [wire.opt({"name": wire.opt(anchor.name), "created_at": wire.opt(anchor.created_at)})]

    def _authn_method_confirm(self, ctx, number: int, code: str) -> list:
        auth = self._v2_auth(ctx, number)
        if auth is None:
            return [self._unauthorized(ctx)]
        anchor, _ = auth
        try:
            outcome, info = self._confirm_tentative(ctx, anchor, code)
        except AnchorError as err:
            return [{"Err": {"InternalCanisterError": f"failed to add authn method: {err}"}}]
        self.state.write_anchor(anchor)
        if outcome in ("verified", "session_confirmed"):
            return [{"Ok": None}]
        if outcome == "wrong_code":
            return [{"Err": {"WrongCode": {"retries_left": info}}}]
        if outcome == "mode_off":
            return [{"Err": {"RegistrationModeOff": None}}]
        return [{"Err": {"NoAuthnMethodToConfirm": None}}]

    def _lookup_device_key(self, ctx: CallContext, credential_id: bytes) -> list:
        number = self.state.storage.anchor_with_credential_id(bytes(credential_id))
        anchor = self.state.read_anchor(number) if number is not None else None
        device = None
        if anchor is not None:
            device = next((d for d in anchor.devices if d.credential_id == bytes(credential_id)), None)
        if device is None:
            return [wire.opt(None)]
        return [wire.opt({"pubkey": device.pubkey, "anchor_number": anchor.number})]

    def _lookup_caller_identity_by_recovery_phrase(self, ctx: CallContext) -> list:
        """The identity whose recovery phrase the caller signs with (its self-authenticating
        principal), or null. A phrase on several identities (only in old databases: a key cannot
        join a second identity) answers the lowest identity number."""
        return [wire.opt(self.state.storage.anchor_with_recovery_phrase_principal(ctx.caller.raw))]

    def _lookup_by_registration_mode_id(self, ctx: CallContext, registration_id: str) -> list:
        if validate_registration_id(registration_id):
            return [wire.opt(None)]
        return [wire.opt(self.tentative.lookup_id(registration_id, ctx.time_ns))]
