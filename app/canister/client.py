"""A typed client of the II canister for the frontend, over `ic.agent` (pure).

Expected outcomes of the canister (a wrong captcha, an unknown credential) are results; canister
rejects and transport failures stay exceptions (`ic.errors.AgentError`), which the flows explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ic.agent import Actor, Agent
from ic.candid import parse_did
from ic.delegation import Delegation, DelegationChain, SignedDelegation

from app.canister.devices import AnchorInfo, Device
from app.canister.interface import DID_TEXT

_INTERFACE = None


def interface():
    """The parsed interface, once per page."""
    global _INTERFACE
    if _INTERFACE is None:
        _INTERFACE = parse_did(DID_TEXT)
    return _INTERFACE


class RegistrationError(Exception):
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


class DeviceError(Exception):
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


def _error(payload: Any) -> DeviceError:
    return DeviceError(*_variant(payload)) if isinstance(payload, dict) else DeviceError(str(payload))


@dataclass(frozen=True)
class Captcha:
    png_base64: str


@dataclass(frozen=True)
class Credential:
    credential_id: bytes
    pubkey: bytes


def _variant(value: dict) -> tuple[str, Any]:
    (tag, payload), = value.items()
    return tag, payload


def _ok(result: dict) -> Any:
    tag, payload = _variant(result)
    if tag == "Err":
        raise _error(payload)
    return payload


def _next_step(result: dict) -> Optional[Captcha]:
    tag, payload = _variant(result["next_step"])
    return Captcha(payload["captcha_png_base64"]) if tag == "CheckCaptcha" else None


class IIClient:
    def __init__(self, agent: Agent, canister_id: str):
        self.actor = Actor(agent, canister_id, interface())

    def with_agent(self, agent: Agent) -> "IIClient":
        clone = IIClient.__new__(IIClient)
        clone.actor = self.actor.with_agent(agent)
        return clone

    # -- registration (v2 flow; the caller becomes a 10-minute temporary key of the new identity)

    async def registration_start(self) -> Optional[Captcha]:
        """None when no captcha is needed (the next step is Finish)."""
        tag, payload = _variant(await self.actor.call("identity_registration_start"))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return _next_step(payload)

    async def check_captcha(self, solution: str) -> Optional[Captcha]:
        """None when solved; a new captcha when the answer was wrong."""
        tag, payload = _variant(await self.actor.call("check_captcha", {"solution": solution}))
        if tag == "Ok":
            return None
        reason, detail = _variant(payload) if isinstance(payload, dict) else (payload, None)
        if reason == "WrongSolution":
            return Captcha(detail["new_captcha_png_base64"])
        raise RegistrationError(reason, detail)

    async def registration_finish(self, credential: Credential, alias: str) -> int:
        method = {
            "authn_method": {"WebAuthn": {"credential_id": credential.credential_id,
                                          "pubkey": credential.pubkey, "aaguid": None}},
            "security_settings": {"protection": {"Unprotected": None}, "purpose": {"Authentication": None}},
            "metadata": [("alias", {"String": alias}), ("usage", {"String": "passkey"})],
            "last_authentication": None,
        }
        tag, payload = _variant(await self.actor.call("identity_registration_finish",
                                                      {"authn_method": method, "name": None}))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return int(payload["identity_number"])

    # -- sign-in

    async def credentials(self, anchor: int) -> list[Credential]:
        found = await self.actor.call("get_anchor_credentials", anchor)
        return [Credential(bytes(c["credential_id"]), bytes(c["pubkey"]))
                for c in [*found["credentials"], *found["recovery_credentials"]]]

    async def recovery_methods(self, anchor: int) -> tuple[list[Credential], list[bytes]]:
        """(recovery security keys, recovery phrase public keys) of an identity; public data."""
        found = await self.actor.call("get_anchor_credentials", anchor)
        keys = [Credential(bytes(c["credential_id"]), bytes(c["pubkey"])) for c in found["recovery_credentials"]]
        return keys, [bytes(p) for p in found["recovery_phrases"]]

    async def lookup_credential(self, credential_id: bytes) -> Optional[tuple[int, bytes]]:
        """(identity number, device public key) of a discoverable passkey, or None."""
        found = await self.actor.call("lookup_device_key", credential_id)
        if not found:
            return None
        return int(found[0]["anchor_number"]), bytes(found[0]["pubkey"])

    # -- delegations for dapps

    async def delegation(self, anchor: int, origin: str, session_key: bytes,
                         max_ttl_ns: Optional[int], *, attempts: int = 3) -> DelegationChain:
        user_key, expiration = await self.actor.call(
            "prepare_delegation", anchor, origin, session_key, None if max_ttl_ns is None else [max_ttl_ns])
        for _ in range(attempts):
            tag, payload = _variant(await self.actor.call("get_delegation", anchor, origin, session_key, expiration))
            if tag == "signed_delegation":
                raw = payload["delegation"]
                targets = tuple(raw["targets"][0]) if raw["targets"] else None
                link = SignedDelegation(Delegation(bytes(raw["pubkey"]), int(raw["expiration"]), targets),
                                        bytes(payload["signature"]))
                return DelegationChain((link,), bytes(user_key))
        raise RuntimeError("Internet Identity did not produce the delegation (no_such_delegation); try again")

    # -- managing an identity's devices (v1: the canister traps on a refusal, an AgentError)

    async def anchor_info(self, anchor: int) -> AnchorInfo:
        return AnchorInfo.from_candid(anchor, await self.actor.call("get_anchor_info", anchor))

    async def add_device(self, anchor: int, device: Device) -> None:
        await self.actor.call("add", anchor, device.to_device_data())

    async def update_device(self, anchor: int, device: Device) -> None:
        """Writes everything but the key of the device with `device.pubkey` (alias, protection...)."""
        await self.actor.call("update", anchor, device.pubkey, device.to_device_data())

    async def replace_device(self, anchor: int, old_pubkey: bytes, device: Device) -> None:
        await self.actor.call("replace", anchor, old_pubkey, device.to_device_data())

    async def remove_device(self, anchor: int, pubkey: bytes) -> None:
        await self.actor.call("remove", anchor, pubkey)

    # -- adding a device from another device: v1 shape

    async def enter_registration_mode(self, anchor: int) -> int:
        """Opens the 15-minute window; returns its end (ns since the epoch)."""
        return int(await self.actor.call("enter_device_registration_mode", anchor))

    async def exit_registration_mode(self, anchor: int) -> None:
        await self.actor.call("exit_device_registration_mode", anchor)

    async def add_tentative_device(self, anchor: int, device: Device) -> tuple[str, int]:
        """(6-digit code, window end ns) or DeviceError."""
        tag, payload = _variant(await self.actor.call("add_tentative_device", anchor, device.to_device_data()))
        if tag != "added_tentatively":
            raise DeviceError(tag, payload)
        return payload["verification_code"], int(payload["device_registration_timeout"])

    async def verify_tentative_device(self, anchor: int, code: str) -> None:
        """Returns when the device is added; DeviceError("wrong_code", retries_left) and others."""
        tag, payload = _variant(await self.actor.call("verify_tentative_device", anchor, code))
        if tag != "verified":
            raise DeviceError(tag, payload["retries_left"] if tag == "wrong_code" else payload)

    # -- adding a device from another device: v2 shape

    async def registration_mode_enter(self, anchor: int, registration_id: Optional[str] = None) -> int:
        payload = _ok(await self.actor.call("authn_method_registration_mode_enter", anchor,
                                            None if registration_id is None else [registration_id]))
        return int(payload["expiration"])

    async def registration_mode_exit(self, anchor: int) -> None:
        _ok(await self.actor.call("authn_method_registration_mode_exit", anchor, None))

    async def authn_method_register(self, anchor: int, device: Device) -> tuple[str, int]:
        payload = _ok(await self.actor.call("authn_method_register", anchor, device.to_authn_method()))
        return payload["confirmation_code"], int(payload["expiration"])

    async def authn_method_confirm(self, anchor: int, code: str) -> None:
        tag, payload = _variant(await self.actor.call("authn_method_confirm", anchor, code))
        if tag == "Err":
            reason, detail = _variant(payload)
            raise DeviceError(reason, detail["retries_left"] if reason == "WrongCode" else detail)

    async def lookup_registration_id(self, registration_id: str) -> Optional[int]:
        found = await self.actor.call("lookup_by_registration_mode_id", registration_id)
        return None if not found else int(found[0])
