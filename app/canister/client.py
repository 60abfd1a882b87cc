"""A typed client of the II canister for the frontend, over `ic.agent` (pure).

Expected outcomes of the canister (a wrong captcha, an unknown credential) are results; a failed
call leaves this module only as a `CanisterError` kind (`app.canister.errors.refusal`), so the
flows never see an `ic` error nor read a reject's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from ic.agent import Actor, Agent
from ic.candid import parse_did
from ic.delegation import Delegation, DelegationChain, SignedDelegation
from ic.errors import ICError

from app.canister.devices import AnchorInfo, Device
from app.canister.errors import (
    AccountRefused, AttributesRefused, DeviceError, IdentityNameRefused, NoDelegation, RegistrationError, refusal,
)
from app.canister.interface import DID_TEXT

_INTERFACE = None


def interface():
    """The parsed interface, once per page."""
    global _INTERFACE
    if _INTERFACE is None:
        _INTERFACE = parse_did(DID_TEXT)
    return _INTERFACE


def _error(payload: Any) -> DeviceError:
    return DeviceError(*_variant(payload)) if isinstance(payload, dict) else DeviceError(str(payload))


@dataclass(frozen=True)
class Captcha:
    png_base64: str


@dataclass(frozen=True)
class Solved:
    """The captcha was answered right: the registration goes on to its finish."""


@dataclass(frozen=True)
class Retry:
    """The answer was wrong: the canister sent another captcha to solve."""

    captcha: Captcha


CaptchaOutcome = Union[Solved, Retry]


@dataclass(frozen=True)
class Account:
    """One of an identity's accounts for an app; `number` None is the (unreserved) default one."""

    number: Optional[int]
    name: Optional[str]
    last_used: Optional[int] = None

    @classmethod
    def from_candid(cls, info: dict) -> "Account":
        number, name, last_used = (info[k][0] if info[k] else None for k in ("account_number", "name", "last_used"))
        return cls(None if number is None else int(number), name, None if last_used is None else int(last_used))


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


def _signed(payload: dict) -> SignedDelegation:
    raw = payload["delegation"]
    targets = tuple(raw["targets"][0]) if raw["targets"] else None
    return SignedDelegation(Delegation(bytes(raw["pubkey"]), int(raw["expiration"]), targets),
                            bytes(payload["signature"]))


def _next_step(result: dict) -> Optional[Captcha]:
    tag, payload = _variant(result["next_step"])
    return Captcha(payload["captcha_png_base64"]) if tag == "CheckCaptcha" else None


@dataclass(frozen=True)
class SessionInfo:
    """What a confirmed session learns of the identity it joins."""

    name: Optional[str]
    created_at_ns: Optional[int]


class IIClient:
    def __init__(self, agent: Agent, canister_id: str):
        self.actor = Actor(agent, canister_id, interface())

    def with_agent(self, agent: Agent) -> "IIClient":
        clone = IIClient.__new__(IIClient)
        clone.actor = self.actor.with_agent(agent)
        return clone

    async def _call(self, method: str, *args: Any) -> Any:
        """One call of the canister; a failure leaves as its `CanisterError` kind."""
        try:
            return await self.actor.call(method, *args)
        except ICError as exc:
            raise refusal(exc) from None

    # -- registration (v2 flow; the caller becomes a 10-minute temporary key of the new identity)

    async def registration_start(self) -> Optional[Captcha]:
        """None when no captcha is needed (the next step is Finish)."""
        tag, payload = _variant(await self._call("identity_registration_start"))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return _next_step(payload)

    async def check_captcha(self, solution: str) -> CaptchaOutcome:
        """`Solved`, or `Retry` with a new captcha when the answer was wrong."""
        tag, payload = _variant(await self._call("check_captcha", {"solution": solution}))
        if tag == "Ok":
            return Solved()
        reason, detail = _variant(payload) if isinstance(payload, dict) else (payload, None)
        if reason == "WrongSolution":
            return Retry(Captcha(detail["new_captcha_png_base64"]))
        raise RegistrationError(reason, detail)

    async def registration_finish(self, credential: Credential, alias: str) -> int:
        method = {
            "authn_method": {"WebAuthn": {"credential_id": credential.credential_id,
                                          "pubkey": credential.pubkey, "aaguid": None}},
            "security_settings": {"protection": {"Unprotected": None}, "purpose": {"Authentication": None}},
            "metadata": [("alias", {"String": alias}), ("usage", {"String": "passkey"})],
            "last_authentication": None,
        }
        tag, payload = _variant(await self._call("identity_registration_finish",
                                                      {"authn_method": method, "name": None}))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return int(payload["identity_number"])

    # -- sign-in

    async def credentials(self, anchor: int) -> list[Credential]:
        found = await self._call("get_anchor_credentials", anchor)
        return [Credential(bytes(c["credential_id"]), bytes(c["pubkey"]))
                for c in [*found["credentials"], *found["recovery_credentials"]]]

    async def recovery_methods(self, anchor: int) -> tuple[list[Credential], list[bytes]]:
        """(recovery security keys, recovery phrase public keys) of an identity; public data."""
        found = await self._call("get_anchor_credentials", anchor)
        keys = [Credential(bytes(c["credential_id"]), bytes(c["pubkey"])) for c in found["recovery_credentials"]]
        return keys, [bytes(p) for p in found["recovery_phrases"]]

    async def lookup_credential(self, credential_id: bytes) -> Optional[tuple[int, bytes]]:
        """(identity number, device public key) of a discoverable passkey, or None."""
        found = await self._call("lookup_device_key", credential_id)
        if not found:
            return None
        return int(found[0]["anchor_number"]), bytes(found[0]["pubkey"])

    async def identity_by_recovery_phrase(self) -> Optional[int]:
        """The identity whose recovery phrase signs this client's calls (its agent's identity is
        the phrase key), or None: no identity has that phrase."""
        found = await self._call("lookup_caller_identity_by_recovery_phrase")
        return None if not found else int(found[0])

    # -- delegations for dapps

    async def delegation(self, anchor: int, origin: str, session_key: bytes,
                         max_ttl_ns: Optional[int], *, attempts: int = 3) -> DelegationChain:
        user_key, expiration = await self._call(
            "prepare_delegation", anchor, origin, session_key, None if max_ttl_ns is None else [max_ttl_ns])
        for _ in range(attempts):
            tag, payload = _variant(await self._call("get_delegation", anchor, origin, session_key, expiration))
            if tag == "signed_delegation":
                return DelegationChain((_signed(payload),), bytes(user_key))
        raise NoDelegation()

    # -- an identity's accounts for an app (the default one has `number` None)

    async def accounts(self, anchor: int, origin: str) -> list[Account]:
        tag, payload = _variant(await self._call("get_accounts", anchor, origin))
        if tag == "Err":
            raise AccountRefused(*_variant(payload))
        return [Account.from_candid(info) for info in payload]

    async def create_account(self, anchor: int, origin: str, name: str) -> Account:
        tag, payload = _variant(await self._call("create_account", anchor, origin, name))
        if tag == "Err":
            raise AccountRefused(*_variant(payload))
        return Account.from_candid(payload)

    async def rename_account(self, anchor: int, origin: str, number: Optional[int], name: str) -> Account:
        """Renaming the default account (None) reserves it: it gets a number, keeps its principal."""
        tag, payload = _variant(await self._call("update_account", anchor, origin,
                                                  None if number is None else [number], {"name": [name]}))
        if tag == "Err":
            raise AccountRefused(*_variant(payload))
        return Account.from_candid(payload)

    async def account_delegation(self, anchor: int, origin: str, number: Optional[int], session_key: bytes,
                                 max_ttl_ns: Optional[int], *, attempts: int = 3) -> DelegationChain:
        account = None if number is None else [number]
        tag, payload = _variant(await self._call("prepare_account_delegation", anchor, origin, account, session_key,
                                                  None if max_ttl_ns is None else [max_ttl_ns]))
        if tag == "Err":
            raise AccountRefused(*_variant(payload))
        user_key, expiration = bytes(payload["user_key"]), payload["expiration"]
        for _ in range(attempts):
            tag, signed = _variant(await self._call("get_account_delegation", anchor, origin, account, session_key,
                                                     expiration))
            if tag == "Ok":
                return DelegationChain((_signed(signed),), user_key)
            if _variant(signed)[0] != "NoSuchDelegation":
                raise AccountRefused(*_variant(signed))
        raise NoDelegation()

    # -- ICRC-3 attributes for dapps

    async def available_attributes(self, anchor: int, keys: list[str]) -> list[tuple[str, bytes]]:
        """The `(key, value)` rows the identity can certify among `keys` (AttributesRefused if not)."""
        result = await self._call("list_available_attributes", {"identity_number": anchor, "attributes": [keys]})
        tag, payload = _variant(result)
        if tag == "Err":
            raise AttributesRefused(*_variant(payload))
        return [(str(key), bytes(value)) for key, value in payload]

    async def certified_attributes(self, anchor: int, origin: str, specs: list[dict], nonce: bytes, *,
                                   account_number: Optional[int] = None, attempts: int = 3) -> tuple[bytes, bytes]:
        """(message, signature): `prepare_icrc3_attributes` then `get_icrc3_attributes`, signed with
        the key of `account_number` at `origin` (None: the default account)."""
        account = None if account_number is None else [account_number]
        tag, payload = _variant(await self._call("prepare_icrc3_attributes", {
            "identity_number": anchor, "origin": origin, "unmapped_origin": None, "account_number": account,
            "attributes": specs, "nonce": nonce}))
        if tag == "Err":
            raise AttributesRefused(*_variant(payload))
        message = bytes(payload["message"])
        request = {"identity_number": anchor, "origin": origin, "account_number": account, "message": message}
        for _ in range(attempts):
            tag, payload = _variant(await self._call("get_icrc3_attributes", request))
            if tag == "Ok":
                return message, bytes(payload["signature"])
            reason, detail = _variant(payload)
            if reason != "NoSuchSignature":
                raise AttributesRefused(reason, detail)
        raise AttributesRefused("NoSuchSignature")

    # -- managing an identity's devices (v1: the canister traps on a refusal; `refusal` names it)

    async def anchor_info(self, anchor: int) -> AnchorInfo:
        return AnchorInfo.from_candid(anchor, await self._call("get_anchor_info", anchor))

    async def set_name(self, anchor: int, name: Optional[str]) -> None:
        """The identity's name (None removes it); IdentityNameRefused when the canister says no."""
        tag, payload = _variant(await self._call("identity_properties_replace", anchor,
                                                  {"name": None if name is None else [name]}))
        if tag == "Err":
            raise IdentityNameRefused(*_variant(payload))

    async def add_device(self, anchor: int, device: Device) -> None:
        await self._call("add", anchor, device.to_device_data())

    async def update_device(self, anchor: int, device: Device) -> None:
        """Writes everything but the key of the device with `device.pubkey` (alias, protection...)."""
        await self._call("update", anchor, device.pubkey, device.to_device_data())

    async def replace_device(self, anchor: int, old_pubkey: bytes, device: Device) -> None:
        await self._call("replace", anchor, old_pubkey, device.to_device_data())

    async def remove_device(self, anchor: int, pubkey: bytes) -> None:
        await self._call("remove", anchor, pubkey)

    # -- adding a device from another device: v1 shape

    async def enter_registration_mode(self, anchor: int) -> int:
        """Opens the 15-minute window; returns its end (ns since the epoch)."""
        return int(await self._call("enter_device_registration_mode", anchor))

    async def exit_registration_mode(self, anchor: int) -> None:
        await self._call("exit_device_registration_mode", anchor)

    async def add_tentative_device(self, anchor: int, device: Device) -> tuple[str, int]:
        """(6-digit code, window end ns) or DeviceError."""
        tag, payload = _variant(await self._call("add_tentative_device", anchor, device.to_device_data()))
        if tag != "added_tentatively":
            raise DeviceError(tag, payload)
        return payload["verification_code"], int(payload["device_registration_timeout"])

    async def verify_tentative_device(self, anchor: int, code: str) -> None:
        """Returns when the device is added; DeviceError("wrong_code", retries_left) and others."""
        tag, payload = _variant(await self._call("verify_tentative_device", anchor, code))
        if tag != "verified":
            raise DeviceError(tag, payload["retries_left"] if tag == "wrong_code" else payload)

    # -- adding a device from another device: v2 shape

    async def registration_mode_enter(self, anchor: int, registration_id: Optional[str] = None) -> int:
        payload = _ok(await self._call("authn_method_registration_mode_enter", anchor,
                                            None if registration_id is None else [registration_id]))
        return int(payload["expiration"])

    async def registration_mode_exit(self, anchor: int, device: Optional[Device] = None) -> None:
        """Closes the window; with `device`, from a confirmed session: adds it as this session's passkey."""
        _ok(await self._call("authn_method_registration_mode_exit", anchor,
                             None if device is None else [device.to_authn_method()]))

    # -- signing in from another device (started on the new one): this client's principal is the session

    async def session_register(self, anchor: int) -> tuple[str, int]:
        """(6-digit code, window end ns) for this session, or CanisterError."""
        payload = _ok(await self._call("authn_method_session_register", anchor))
        return payload["confirmation_code"], int(payload["expiration"])

    async def session_info(self, anchor: int) -> Optional["SessionInfo"]:
        """None until the signed-in device confirmed this session."""
        found = await self._call("authn_method_session_info", anchor)
        if not found:
            return None
        name, created = found[0].get("name"), found[0].get("created_at")
        return SessionInfo(name[0] if name else None, int(created[0]) if created else None)

    async def authn_method_register(self, anchor: int, device: Device) -> tuple[str, int]:
        payload = _ok(await self._call("authn_method_register", anchor, device.to_authn_method()))
        return payload["confirmation_code"], int(payload["expiration"])

    async def authn_method_confirm(self, anchor: int, code: str) -> None:
        tag, payload = _variant(await self._call("authn_method_confirm", anchor, code))
        if tag == "Err":
            reason, detail = _variant(payload)
            raise DeviceError(reason, detail["retries_left"] if reason == "WrongCode" else detail)

    async def lookup_registration_id(self, registration_id: str) -> Optional[int]:
        found = await self._call("lookup_by_registration_mode_id", registration_id)
        return None if not found else int(found[0])
