"""Candid values <-> the canister's model: the one place that knows the `ic.candid` value mapping.

Records are dicts keyed by field name, tuple records Python tuples, variants single-key dicts
(`None` for a null arm), `opt T` None or a one-element list, blobs bytes, principals
`ic.principal.Principal`. `opt`/`unopt` and `tuple2`/`untuple2` isolate the representation of
`opt T` and of tuple records so the rest of the canister never depends on it.
"""

from __future__ import annotations

from typing import Any

from replica.canisters.internet_identity.anchors import Device, Metadata


def opt(value: Any) -> Any:
    """`opt T` from a Python value (None -> null)."""
    return None if value is None else [value]


def unopt(value: Any) -> Any:
    """A Python value (None for null) from `opt T`."""
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 1:
        raise ValueError(f"expected an opt value (None or a one-element list), found {value!r}")
    return value[0]


def tuple2(a: Any, b: Any) -> Any:
    """A Candid tuple record `record { A; B }`."""
    return (a, b)


def untuple2(value: Any) -> tuple[Any, Any]:
    a, b = value
    return a, b


def variant_tag(value: dict) -> str:
    (tag,) = value.keys()
    return tag


# --- metadata -----------------------------------------------------------------------------------
# MetadataMap (v1): variant { map; string; bytes }; MetadataMapV2: variant { Map; String; Bytes }.


def metadata_from_candid(entries: list, *, v2: bool) -> Metadata:
    result: Metadata = {}
    for entry in entries:
        key, value = untuple2(entry)
        tag = variant_tag(value)
        inner = value[tag]
        kind = tag.lower()
        if kind == "map":
            result[key] = metadata_from_candid(inner, v2=v2)
        elif kind == "string":
            result[key] = inner
        else:
            result[key] = bytes(inner)
    return result


def metadata_to_candid(metadata: Metadata, *, v2: bool) -> list:
    names = ("Map", "String", "Bytes") if v2 else ("map", "string", "bytes")
    out = []
    for key, value in metadata.items():
        if isinstance(value, dict):
            out.append(tuple2(key, {names[0]: metadata_to_candid(value, v2=v2)}))
        elif isinstance(value, str):
            out.append(tuple2(key, {names[1]: value}))
        else:
            out.append(tuple2(key, {names[2]: bytes(value)}))
    return out


# --- DeviceData / DeviceWithUsage -----------------------------------------------------------------


def device_from_candid(d: dict) -> Device:
    metadata = unopt(d.get("metadata"))
    return Device(
        pubkey=bytes(d["pubkey"]),
        alias=d["alias"],
        credential_id=_bytes_or_none(unopt(d.get("credential_id"))),
        aaguid=_bytes_or_none(unopt(d.get("aaguid"))),
        purpose=variant_tag(d["purpose"]),
        key_type=variant_tag(d["key_type"]),
        protection=variant_tag(d["protection"]),
        origin=unopt(d.get("origin")),
        metadata=None if metadata is None else metadata_from_candid(metadata, v2=False),
    )


def _bytes_or_none(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def device_to_candid(device: Device, *, with_usage: bool = False, clear_alias: bool = False) -> dict:
    out = {
        "pubkey": device.pubkey,
        "alias": "" if clear_alias else device.alias,
        "credential_id": opt(device.credential_id),
        "aaguid": opt(device.aaguid),
        "purpose": {device.purpose: None},
        "key_type": {device.key_type: None},
        "protection": {device.protection: None},
        "origin": opt(device.origin),
        "metadata": opt(
            None if device.metadata is None or clear_alias else metadata_to_candid(device.metadata, v2=False)
        ),
    }
    if with_usage:
        out["last_usage"] = opt(device.last_usage)
    return out


# --- AuthnMethodData (v2) -------------------------------------------------------------------------
# The v2 metadata carries alias, origin, authenticator_attachment (from key_type platform /
# cross_platform) and usage (from key_type seed_phrase -> "recovery_phrase", browser_storage_key).


class InvalidAuthnMethod(ValueError):
    pass


_USAGE = {"seed_phrase": "recovery_phrase", "browser_storage_key": "browser_storage_key"}
_ATTACHMENT = {"platform": "platform", "cross_platform": "cross_platform"}


def authn_method_to_candid(device: Device) -> dict:
    metadata: Metadata = dict(device.metadata or {})
    if device.alias:
        metadata["alias"] = device.alias
    if device.origin is not None:
        metadata["origin"] = device.origin
    if device.key_type in _USAGE:
        metadata["usage"] = _USAGE[device.key_type]
    if device.key_type in _ATTACHMENT:
        metadata["authenticator_attachment"] = _ATTACHMENT[device.key_type]
    if device.credential_id is not None:
        method = {"WebAuthn": {"credential_id": device.credential_id, "pubkey": device.pubkey,
                               "aaguid": opt(device.aaguid)}}
    else:
        method = {"PubKey": {"pubkey": device.pubkey}}
    return {
        "authn_method": method,
        "security_settings": security_settings_to_candid(device.protection, device.purpose),
        "metadata": metadata_to_candid(metadata, v2=True),
        "last_authentication": opt(device.last_usage),
    }


def public_authn_method_to_candid(device: Device) -> dict:
    if device.credential_id is not None:
        return {"WebAuthn": {"credential_id": device.credential_id, "pubkey": device.pubkey,
                             "aaguid": opt(device.aaguid)}}
    return {"PubKey": {"pubkey": device.pubkey}}


def security_settings_to_candid(protection: str, purpose: str) -> dict:
    return {
        "protection": {"Protected" if protection == "protected" else "Unprotected": None},
        "purpose": {"Recovery" if purpose == "recovery" else "Authentication": None},
    }


def security_settings_from_candid(s: dict) -> tuple[str, str]:
    protection = "protected" if variant_tag(s["protection"]) == "Protected" else "unprotected"
    purpose = "recovery" if variant_tag(s["purpose"]) == "Recovery" else "authentication"
    return protection, purpose


def _take_string(metadata: Metadata, key: str) -> str | None:
    if key not in metadata:
        return None
    value = metadata.pop(key)
    if not isinstance(value, str):
        kind = "map" if isinstance(value, dict) else "bytes"
        raise InvalidAuthnMethod(
            f"Invalid metadata type for key '{key}': expected string, got {kind}"
        )
    return value


def authn_method_from_candid(data: dict) -> Device:
    """Raises InvalidAuthnMethod with a message when the metadata cannot become a device."""
    metadata = metadata_from_candid(data["metadata"], v2=True)
    alias = _take_string(metadata, "alias") or ""
    origin = _take_string(metadata, "origin")
    usage = _take_string(metadata, "usage")
    attachment = _take_string(metadata, "authenticator_attachment")
    if usage == "recovery_phrase":
        key_type = "seed_phrase"
    elif usage == "browser_storage_key":
        key_type = "browser_storage_key"
    elif attachment in ("platform", "cross_platform"):
        key_type = attachment
    else:
        key_type = "unknown"
    tag = variant_tag(data["authn_method"])
    method = data["authn_method"][tag]
    if tag == "WebAuthn":
        pubkey, credential_id = bytes(method["pubkey"]), bytes(method["credential_id"])
        aaguid = _bytes_or_none(unopt(method.get("aaguid")))
    else:
        pubkey, credential_id, aaguid = bytes(method["pubkey"]), None, None
    protection, purpose = security_settings_from_candid(data["security_settings"])
    return Device(
        pubkey=pubkey,
        alias=alias,
        credential_id=credential_id,
        aaguid=aaguid,
        purpose=purpose,
        key_type=key_type,
        protection=protection,
        origin=origin,
        last_usage=unopt(data.get("last_authentication")),
        metadata=metadata,
    )
