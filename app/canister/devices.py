"""The frontend's model of an identity's devices (passkeys, recovery phrase, recovery keys) and its
two wire shapes: the v1 `DeviceData` / `DeviceWithUsage` and the v2 `AuthnMethodData`
(ii-facts sections 3 and 5).

The v2 shape carries alias, origin, usage and authenticator attachment in its metadata map; the
canister turns one shape into the other, so a device written with either reads back the same.
Candid values follow `ic.candid`: records are dicts, variants one-key dicts, `opt T` None or a
one-element list, blobs bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

from app.errors import AppError

# Limits the canister enforces (CURRENT II), checked here first for a clear message.
MAX_DEVICES = 20
MAX_PASSKEYS = 16            # the current frontend's limit on authentication passkeys
ALIAS_MAX_BYTES = 64

RECOVERY_PHRASE_ALIAS = "Recovery phrase"
RECOVERY_KEY_ALIAS = "Recovery key"

_USAGE = {"seed_phrase": "recovery_phrase", "browser_storage_key": "browser_storage_key"}
_KEY_TYPE_OF_USAGE = {usage: key_type for key_type, usage in _USAGE.items()}
_ATTACHMENTS = ("platform", "cross_platform")


def _opt(value: Any) -> Any:
    return None if value is None else [value]


def _unopt(value: Any) -> Any:
    return value[0] if value else None


def _tag(value: dict) -> str:
    (tag,) = value
    return tag


@dataclass(frozen=True)
class Device:
    """One way into an identity. `credential_id` is None for a recovery phrase (a bare key)."""

    pubkey: bytes
    alias: str
    credential_id: Optional[bytes] = None
    purpose: str = "authentication"          # "authentication" | "recovery"
    key_type: str = "unknown"                # unknown, platform, cross_platform, seed_phrase, browser_storage_key
    protection: str = "unprotected"          # "protected" | "unprotected"
    origin: Optional[str] = None
    aaguid: Optional[bytes] = None
    last_usage_ns: Optional[int] = None
    metadata: tuple = ()                     # other v1 metadata entries, passed through untouched

    @property
    def is_recovery(self) -> bool:
        return self.purpose == "recovery"

    @property
    def is_recovery_phrase(self) -> bool:
        return self.key_type == "seed_phrase"

    @property
    def is_protected(self) -> bool:
        return self.protection == "protected"

    def renamed(self, alias: str) -> "Device":
        return replace(self, alias=alias)

    # -- v1 ------------------------------------------------------------------------------------

    def to_device_data(self) -> dict:
        return {
            "pubkey": self.pubkey,
            "alias": self.alias,
            "credential_id": _opt(self.credential_id),
            "aaguid": _opt(self.aaguid),
            "purpose": {self.purpose: None},
            "key_type": {self.key_type: None},
            "protection": {self.protection: None},
            "origin": _opt(self.origin),
            "metadata": _opt(list(self.metadata)) if self.metadata else None,
        }

    @classmethod
    def from_device_data(cls, data: dict) -> "Device":
        """From `DeviceData` or `DeviceWithUsage`."""
        credential_id, aaguid = _unopt(data.get("credential_id")), _unopt(data.get("aaguid"))
        return cls(
            pubkey=bytes(data["pubkey"]), alias=data["alias"],
            credential_id=None if credential_id is None else bytes(credential_id),
            purpose=_tag(data["purpose"]), key_type=_tag(data["key_type"]),
            protection=_tag(data["protection"]), origin=_unopt(data.get("origin")),
            aaguid=None if aaguid is None else bytes(aaguid),
            last_usage_ns=_unopt(data.get("last_usage")),
            metadata=tuple(_unopt(data.get("metadata")) or ()),
        )

    # -- v2 ------------------------------------------------------------------------------------

    def to_authn_method(self) -> dict:
        metadata = [("alias", {"String": self.alias})]
        if self.origin is not None:
            metadata.append(("origin", {"String": self.origin}))
        if self.key_type in _USAGE:
            metadata.append(("usage", {"String": _USAGE[self.key_type]}))
        if self.key_type in _ATTACHMENTS:
            metadata.append(("authenticator_attachment", {"String": self.key_type}))
        if self.credential_id is not None:
            method = {"WebAuthn": {"credential_id": self.credential_id, "pubkey": self.pubkey,
                                   "aaguid": _opt(self.aaguid)}}
        else:
            method = {"PubKey": {"pubkey": self.pubkey}}
        return {
            "authn_method": method,
            "security_settings": {
                "protection": {"Protected" if self.is_protected else "Unprotected": None},
                "purpose": {"Recovery" if self.is_recovery else "Authentication": None},
            },
            "metadata": metadata,
            "last_authentication": _opt(self.last_usage_ns),
        }

    @classmethod
    def from_authn_method(cls, data: dict) -> "Device":
        tag = _tag(data["authn_method"])
        method = data["authn_method"][tag]
        strings = {key: value["String"] for key, value in data["metadata"] if _tag(value) == "String"}
        usage, attachment = strings.get("usage"), strings.get("authenticator_attachment")
        key_type = _KEY_TYPE_OF_USAGE.get(usage) or (attachment if attachment in _ATTACHMENTS else "unknown")
        settings = data["security_settings"]
        aaguid = _unopt(method.get("aaguid")) if tag == "WebAuthn" else None
        return cls(
            pubkey=bytes(method["pubkey"]), alias=strings.get("alias", ""),
            credential_id=bytes(method["credential_id"]) if tag == "WebAuthn" else None,
            purpose="recovery" if _tag(settings["purpose"]) == "Recovery" else "authentication",
            key_type=key_type,
            protection="protected" if _tag(settings["protection"]) == "Protected" else "unprotected",
            origin=strings.get("origin"), aaguid=None if aaguid is None else bytes(aaguid),
            last_usage_ns=_unopt(data.get("last_authentication")),
        )


@dataclass(frozen=True)
class TentativeRegistration:
    """An identity's open "add a device" window, and the device waiting for its code, if any (or
    the session of a new device that started the pairing: its principal, as text)."""

    expiration_ns: int
    device: Optional[Device] = None
    session: Optional[str] = None


@dataclass(frozen=True)
class AnchorInfo:
    anchor: int
    devices: tuple[Device, ...]
    registration: Optional[TentativeRegistration]
    name: Optional[str] = None
    created_at_ns: Optional[int] = None

    @property
    def passkeys(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if not d.is_recovery)

    @property
    def recoveries(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.is_recovery)

    @property
    def recovery_phrase(self) -> Optional[Device]:
        return next((d for d in self.devices if d.is_recovery_phrase), None)

    def device(self, pubkey: bytes) -> Optional[Device]:
        return next((d for d in self.devices if d.pubkey == pubkey), None)

    @classmethod
    def from_candid(cls, anchor: int, info: dict) -> "AnchorInfo":
        registration = _unopt(info.get("device_registration"))
        tentative = None
        if registration is not None:
            device = _unopt(registration.get("tentative_device"))
            session = _unopt(registration.get("tentative_session"))
            tentative = TentativeRegistration(
                int(registration["expiration"]),
                None if device is None else Device.from_device_data(device),
                None if session is None else session.to_text())
        return cls(anchor, tuple(Device.from_device_data(d) for d in info["devices"]), tentative,
                   _unopt(info.get("name")), _unopt(info.get("created_at")))


class AliasError(AppError, ValueError):
    """A device name the canister would refuse."""


def validate_alias(alias: str) -> str:
    """The alias as stored, or AliasError with what is wrong with it."""
    alias = " ".join(alias.split())
    if not alias:
        raise AliasError("Give the passkey a name.")
    if len(alias.encode()) > ALIAS_MAX_BYTES:
        raise AliasError(f"The name is too long: at most {ALIAS_MAX_BYTES} bytes.")
    return alias


IDENTITY_NAME_MAX_BYTES = 128  # the canister's limit (identity_properties_replace), UTF-8 bytes


class IdentityNameError(AppError, ValueError):
    """An identity name the canister would refuse."""


def validate_identity_name(name: str) -> str:
    """The identity's name as stored (spacing collapsed), or IdentityNameError saying what is wrong."""
    name = " ".join(name.split())
    if not name:
        raise IdentityNameError("Type a name for this identity, or choose “Remove the name”.")
    size = len(name.encode())
    if size > IDENTITY_NAME_MAX_BYTES:
        raise IdentityNameError(f"The name is too long: {size} bytes, at most {IDENTITY_NAME_MAX_BYTES} "
                                "(letters with accents and emoji take more than one byte).")
    return name
