"""Anchors and their devices: the data model, its limits and invariants (reference section 5).

An anchor (identity number) holds up to 20 devices. Limits are the CURRENT real II's:
alias <= 64 bytes, public key <= 300, credential id <= 350, origin <= 100, the variable-size fields
of all devices plus the identity metadata <= 5000 bytes, name <= 128, one recovery phrase at most,
only recovery phrases may be protected, and a recovery phrase has no credential id.
Anchors are stored as CBOR records (an internal format, not a wire format).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union

import cbor2

from ic.principal import Principal
from replica.storage.base import AnchorRecord

MAX_DEVICES_PER_ANCHOR = 20
VARIABLE_FIELDS_LIMIT = 5000
ALIAS_LEN_LIMIT = 64
PK_LEN_LIMIT = 300
CREDENTIAL_ID_LEN_LIMIT = 350
ORIGIN_LEN_LIMIT = 100
NAME_LEN_LIMIT = 128

RESERVED_METADATA_KEYS = (
    "pubkey",
    "alias",
    "credential_id",
    "purpose",
    "key_type",
    "protection",
    "origin",
    "last_usage_timestamp",
    "metadata",
    "usage",
    "authenticator_attachment",
)

PURPOSES = ("recovery", "authentication")
KEY_TYPES = ("unknown", "platform", "cross_platform", "seed_phrase", "browser_storage_key")
PROTECTIONS = ("protected", "unprotected")

# Metadata values: str (string), bytes (bytes) or a nested dict (map).
MetadataValue = Union[str, bytes, "dict[str, MetadataValue]"]
Metadata = dict[str, MetadataValue]


class AnchorError(Exception):
    """An operation would violate an anchor invariant; the message says which."""


class NameTooLong(AnchorError):
    """The identity's name is longer than `NAME_LEN_LIMIT` bytes of UTF-8."""

    def __init__(self, length: int) -> None:
        super().__init__(
            f"Name is too long: length {length} bytes, limit {NAME_LEN_LIMIT} bytes (UTF-8)."
        )
        self.limit = NAME_LEN_LIMIT


@dataclass(frozen=True)
class Device:
    pubkey: bytes
    alias: str
    purpose: str = "authentication"
    key_type: str = "unknown"
    protection: str = "unprotected"
    credential_id: bytes | None = None
    aaguid: bytes | None = None
    origin: str | None = None
    last_usage: int | None = None
    metadata: Metadata | None = None

    def variable_fields_len(self) -> int:
        return (
            len(self.alias.encode())
            + len(self.pubkey)
            + len(self.credential_id or b"")
            + len((self.origin or "").encode())
            + (metadata_len(self.metadata) if self.metadata else 0)
        )

    def with_data_of(self, other: "Device") -> "Device":
        """`other`'s writable fields with this device's last usage."""
        return replace(other, last_usage=self.last_usage)


@dataclass
class Anchor:
    number: int
    devices: list[Device] = field(default_factory=list)
    metadata: Metadata | None = None
    name: str | None = None
    created_at: int | None = None

    def device(self, pubkey: bytes) -> Device | None:
        return next((d for d in self.devices if d.pubkey == pubkey), None)

    def device_index(self, pubkey: bytes) -> int:
        for i, d in enumerate(self.devices):
            if d.pubkey == pubkey:
                return i
        raise AnchorError(f"Device with key {pubkey.hex()} not found.")

    # --- mutations: each checks the invariants before changing anything ----------------------

    def add_device(self, device: Device) -> None:
        if self.device(device.pubkey) is not None:
            raise AnchorError(f"Device with key {device.pubkey.hex()} already exists on this anchor.")
        check_device(device)
        devices = [*self.devices, device]
        check_anchor(devices, self.metadata)
        self.devices = devices

    def modify_device(self, pubkey: bytes, new: Device) -> None:
        if new.pubkey != pubkey:
            raise AnchorError("Device key cannot be updated.")
        check_device(new)
        index = self.device_index(pubkey)
        devices = list(self.devices)
        devices[index] = self.devices[index].with_data_of(new)
        check_anchor(devices, self.metadata)
        self.devices = devices

    def remove_device(self, pubkey: bytes) -> Device:
        # No invariant check on removal: removing can only bring an anchor closer to them.
        index = self.device_index(pubkey)
        return self.devices.pop(index)

    def set_last_usage(self, pubkey: bytes, time_ns: int) -> None:
        index = self.device_index(pubkey)
        self.devices[index] = replace(self.devices[index], last_usage=time_ns)

    def replace_metadata(self, metadata: Metadata) -> None:
        check_anchor(self.devices, metadata)
        self.metadata = metadata

    def set_name(self, name: str | None) -> None:
        if name is not None and len(name.encode()) > NAME_LEN_LIMIT:
            raise NameTooLong(len(name.encode()))
        self.name = name

    def variable_fields_len(self) -> int:
        return sum(d.variable_fields_len() for d in self.devices) + (
            metadata_len(self.metadata) if self.metadata else 0
        )

    # --- storage encoding ----------------------------------------------------------------------

    def to_record(self) -> AnchorRecord:
        data = cbor2.dumps(
            {
                "devices": [_device_to_map(d) for d in self.devices],
                "metadata": self.metadata,
                "name": self.name,
                "created_at": self.created_at,
            }
        )
        return AnchorRecord(
            number=self.number,
            data=data,
            device_keys=tuple(d.pubkey for d in self.devices),
            credential_ids=tuple(d.credential_id for d in self.devices if d.credential_id),
            recovery_phrase_principals=recovery_phrase_principals(self.devices),
        )

    @classmethod
    def from_record(cls, record: AnchorRecord) -> "Anchor":
        m = cbor2.loads(record.data)
        return cls(
            number=record.number,
            devices=[_device_from_map(d) for d in m["devices"]],
            metadata=m.get("metadata"),
            name=m.get("name"),
            created_at=m.get("created_at"),
        )


_DEVICE_FIELDS = (
    "pubkey", "alias", "purpose", "key_type", "protection", "credential_id", "aaguid", "origin",
    "last_usage", "metadata",
)


def _device_to_map(d: Device) -> dict:
    return {name: getattr(d, name) for name in _DEVICE_FIELDS}


def _device_from_map(m: dict) -> Device:
    return Device(**{name: m.get(name) for name in _DEVICE_FIELDS if name in m})


def recovery_phrase_principals(devices: list[Device]) -> tuple[bytes, ...]:
    """The self-authenticating principals (raw bytes) of the recovery-phrase devices: the keys of
    the index `lookup_caller_identity_by_recovery_phrase` reads. As in the real II, only devices
    of key type `seed_phrase` are indexed (a recovery security key is not)."""
    return tuple(Principal.self_authenticating(d.pubkey).raw for d in devices if d.key_type == "seed_phrase")


def metadata_len(metadata: Metadata) -> int:
    total = 0
    for key, value in metadata.items():
        total += len(key.encode())
        if isinstance(value, dict):
            total += metadata_len(value)
        elif isinstance(value, str):
            total += len(value.encode())
        else:
            total += len(value)
    return total


def check_device(device: Device) -> None:
    """Invariants of a single device."""
    if device.metadata:
        for key in RESERVED_METADATA_KEYS:
            if key in device.metadata:
                raise AnchorError(f"Metadata key '{key}' is reserved and cannot be used.")
    for name, length, limit in (
        ("alias", len(device.alias.encode()), ALIAS_LEN_LIMIT),
        ("pubkey", len(device.pubkey), PK_LEN_LIMIT),
        ("credential_id", len(device.credential_id or b""), CREDENTIAL_ID_LEN_LIMIT),
        ("origin", len((device.origin or "").encode()), ORIGIN_LEN_LIMIT),
    ):
        if length > limit:
            raise AnchorError(f"{name} limit exceeded: length {length}, limit {limit}")
    if device.key_type == "seed_phrase" and device.credential_id is not None:
        raise AnchorError("Devices with key type seed_phrase must not have a credential id.")
    if device.protection == "protected" and device.key_type != "seed_phrase":
        raise AnchorError(
            f"Only recovery phrases can be locked but key type is {device.key_type}"
        )


def check_anchor(devices: list[Device], metadata: Metadata | None) -> None:
    """Invariants over all devices of an anchor plus its identity metadata."""
    if len(devices) > MAX_DEVICES_PER_ANCHOR:
        raise AnchorError(
            f"Anchor device limit exceeded: num devices {len(devices)}, limit {MAX_DEVICES_PER_ANCHOR}"
        )
    size = sum(d.variable_fields_len() for d in devices) + (metadata_len(metadata) if metadata else 0)
    if size > VARIABLE_FIELDS_LIMIT:
        raise AnchorError(
            "Cumulative size of variable sized fields exceeds limit:"
            f" length {size}, limit {VARIABLE_FIELDS_LIMIT}."
        )
    if sum(1 for d in devices if d.key_type == "seed_phrase") > 1:
        raise AnchorError("There is already a recovery phrase and only one is allowed.")
