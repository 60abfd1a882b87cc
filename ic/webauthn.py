"""WebAuthn data as the IC uses it (ic-interface-facts §4.4, ii-facts §2; W3C WebAuthn Level 3).

From bytes up:
- `parse_authenticator_data` (WebAuthn §6.1: rpIdHash, flags, signCount, attested credential
  data §6.5.1, extensions) and `parse_attestation_object` (§6.5.4: CBOR {fmt, attStmt, authData});
- `public_key_from_attestation`: the COSE key filtered to parameters 1, 3, -1, -2, -3, re-encoded
  canonically, as the `WebAuthnPublicKey` (DER with OID 1.3.6.1.4.1.56387.1.1) II registers;
- `parse_client_data` (§5.8.1 CollectedClientData);
- `encode_webauthn_signature` / `parse_webauthn_signature`: the IC's signature blob, a tag-55799
  CBOR map {authenticator_data: bytes, client_data_json: text, signature: bytes};
- `verify_webauthn_signature` (server side): type, challenge = base64url(payload), and the
  signature over authenticatorData ‖ SHA-256(clientDataJSON) with ES256, EdDSA or RS256.

Every failed check raises `WebAuthnError` with its own message. No `cryptography` at import time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from ic import cbor
from ic.errors import CborError, KeyFormatError, SignatureError, WebAuthnError
from ic.keys.cose import CoseKey, encode_cose_key, parse_cose_parameters
from ic.keys.public_key import WebAuthnPublicKey, parse_der
from ic.keys.verify import verify_cose_signature

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backup state
FLAG_AT = 0x40  # attested credential data included
FLAG_ED = 0x80  # extension data included

MAX_ATTESTATION_OBJECT_BYTES = 64 * 1024
MAX_SIGNATURE_BLOB_BYTES = 16 * 1024
MAX_CLIENT_DATA_BYTES = 8 * 1024
MIN_AUTHENTICATOR_DATA = 37  # rpIdHash 32 + flags 1 + signCount 4
MAX_CREDENTIAL_ID = 1023  # WebAuthn §6.5.1: credentialIdLength at most 1023

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def encode_base64url(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5), as browsers write the challenge."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str, *, what: str) -> bytes:
    """Strict base64url: only the URL-safe alphabet, padding optional."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text):
        raise WebAuthnError(f"{what}: expected base64url text, found {text!r:.80}")
    body = text.rstrip("=")
    if len(body) % 4 == 1:
        raise WebAuthnError(f"{what}: {len(body)} base64url characters is not a possible length")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise WebAuthnError(f"{what}: not base64url: {exc}") from None


# --- authenticator data and attestation ------------------------------------------------------


@dataclass(frozen=True)
class AttestedCredential:
    """Attested credential data (WebAuthn §6.5.1)."""

    aaguid: bytes
    credential_id: bytes
    cose_bytes: bytes  # the credential public key exactly as the authenticator wrote it
    cose_key: CoseKey

    def public_key(self) -> WebAuthnPublicKey:
        """The key filtered to parameters 1, 3, -1, -2, -3 and canonically re-encoded."""
        return WebAuthnPublicKey(encode_cose_key(self.cose_key))


@dataclass(frozen=True)
class AuthenticatorData:
    """Authenticator data (WebAuthn §6.1), parsed; `raw` is what the authenticator signed."""

    rp_id_hash: bytes
    flags: int
    sign_count: int
    attested_credential: Optional[AttestedCredential]
    extensions: Optional[dict]
    raw: bytes

    @property
    def user_present(self) -> bool:
        return bool(self.flags & FLAG_UP)

    @property
    def user_verified(self) -> bool:
        return bool(self.flags & FLAG_UV)

    @property
    def backup_eligible(self) -> bool:
        return bool(self.flags & FLAG_BE)

    @property
    def backed_up(self) -> bool:
        return bool(self.flags & FLAG_BS)


@dataclass(frozen=True)
class AttestationObject:
    """The attestation object (WebAuthn §6.5.4); the attestation statement is not verified."""

    fmt: str
    att_stmt: dict
    auth_data: AuthenticatorData


def _decode_prefix(data: bytes, offset: int, *, what: str) -> tuple[Any, int]:
    try:
        return cbor.decode_prefix(data[offset:])
    except CborError as exc:
        raise WebAuthnError(f"authenticator data: {what} at offset {offset} is not valid CBOR: {exc}") from None


def parse_authenticator_data(data: bytes) -> AuthenticatorData:
    """Parse authenticator data; every byte must be accounted for (WebAuthn §6.1)."""
    if not isinstance(data, (bytes, bytearray)):
        raise WebAuthnError(f"authenticator data: expected bytes, found {type(data).__name__}")
    data = bytes(data)
    if len(data) < MIN_AUTHENTICATOR_DATA:
        raise WebAuthnError(
            f"authenticator data: expected at least {MIN_AUTHENTICATOR_DATA} bytes "
            f"(rpIdHash, flags, signCount), found {len(data)}"
        )
    flags = data[32]
    pos = MIN_AUTHENTICATOR_DATA
    credential = None
    if flags & FLAG_AT:
        if len(data) < pos + 18:
            raise WebAuthnError(
                f"authenticator data: the AT flag is set but only {len(data) - pos} bytes follow signCount; "
                "expected aaguid (16) and credentialIdLength (2)"
            )
        aaguid = data[pos : pos + 16]
        id_length = int.from_bytes(data[pos + 16 : pos + 18], "big")
        pos += 18
        if id_length > MAX_CREDENTIAL_ID:
            raise WebAuthnError(
                f"authenticator data: credentialIdLength {id_length} at offset 53 exceeds {MAX_CREDENTIAL_ID}"
            )
        if len(data) < pos + id_length:
            raise WebAuthnError(
                f"authenticator data: credential id of {id_length} bytes declared, only {len(data) - pos} remain"
            )
        credential_id = data[pos : pos + id_length]
        pos += id_length
        if pos == len(data):
            raise WebAuthnError(f"authenticator data: the credential public key is missing at offset {pos}")
        params, used = _decode_prefix(data, pos, what="credential public key")
        try:
            cose_key = parse_cose_parameters(params, strict=False)
        except KeyFormatError as exc:
            raise WebAuthnError(f"authenticator data: credential public key at offset {pos}: {exc}") from None
        credential = AttestedCredential(aaguid, credential_id, data[pos : pos + used], cose_key)
        pos += used
    extensions = None
    if flags & FLAG_ED:
        if pos == len(data):
            raise WebAuthnError(f"authenticator data: the ED flag is set but no extensions follow at offset {pos}")
        extensions, used = _decode_prefix(data, pos, what="extensions")
        if not isinstance(extensions, dict):
            raise WebAuthnError(
                f"authenticator data: extensions at offset {pos} must be a CBOR map, found {type(extensions).__name__}"
            )
        pos += used
    if pos != len(data):
        raise WebAuthnError(
            f"authenticator data: {len(data) - pos} unexpected bytes at offset {pos} "
            f"(flags 0x{flags:02x}: AT={bool(flags & FLAG_AT)}, ED={bool(flags & FLAG_ED)})"
        )
    return AuthenticatorData(
        rp_id_hash=data[:32],
        flags=flags,
        sign_count=int.from_bytes(data[33:37], "big"),
        attested_credential=credential,
        extensions=extensions,
        raw=data,
    )


def parse_attestation_object(data: bytes) -> AttestationObject:
    """Parse `response.attestationObject` from `navigator.credentials.create`."""
    if not isinstance(data, (bytes, bytearray)):
        raise WebAuthnError(f"attestation object: expected bytes, found {type(data).__name__}")
    try:
        decoded = cbor.decode(bytes(data), max_size=MAX_ATTESTATION_OBJECT_BYTES)
    except CborError as exc:
        raise WebAuthnError(f"attestation object: not valid CBOR: {exc}") from None
    if not isinstance(decoded, dict):
        raise WebAuthnError(f"attestation object: expected a CBOR map, found {type(decoded).__name__}")
    fmt = decoded.get("fmt")
    att_stmt = decoded.get("attStmt")
    auth_data = decoded.get("authData")
    if not isinstance(fmt, str):
        raise WebAuthnError(f"attestation object: 'fmt' must be text, found {type(fmt).__name__}")
    if not isinstance(att_stmt, dict):
        raise WebAuthnError(f"attestation object: 'attStmt' must be a map, found {type(att_stmt).__name__}")
    if not isinstance(auth_data, bytes):
        raise WebAuthnError(f"attestation object: 'authData' must be bytes, found {type(auth_data).__name__}")
    parsed = parse_authenticator_data(auth_data)
    if parsed.attested_credential is None:
        raise WebAuthnError("attestation object: authData has no attested credential data (AT flag not set)")
    return AttestationObject(fmt, att_stmt, parsed)


def public_key_from_attestation(attestation_object: bytes) -> WebAuthnPublicKey:
    """The key II stores for a new passkey; `.to_der()` is the device `pubkey` (ii-facts §2)."""
    credential = parse_attestation_object(attestation_object).auth_data.attested_credential
    assert credential is not None  # parse_attestation_object checked it
    return credential.public_key()


# --- client data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientData:
    """CollectedClientData (WebAuthn §5.8.1); `raw` is the exact JSON bytes that were hashed."""

    type: str
    challenge: bytes
    origin: Optional[str]
    cross_origin: bool
    raw: bytes


def parse_client_data(data: bytes | str) -> ClientData:
    """Parse clientDataJSON (bytes as the browser returns them, or the text the IC carries)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_CLIENT_DATA_BYTES:
        raise WebAuthnError(f"clientDataJSON: {len(raw)} bytes, at most {MAX_CLIENT_DATA_BYTES} are accepted")
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebAuthnError(f"clientDataJSON: not valid UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise WebAuthnError(f"clientDataJSON: expected a JSON object, found {type(obj).__name__}")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise WebAuthnError(f"clientDataJSON: 'type' must be a string, found {kind!r:.40}")
    challenge = obj.get("challenge")
    if not isinstance(challenge, str):
        raise WebAuthnError(f"clientDataJSON: 'challenge' must be a string, found {challenge!r:.40}")
    origin = obj.get("origin")
    if origin is not None and not isinstance(origin, str):
        raise WebAuthnError(f"clientDataJSON: 'origin' must be a string, found {origin!r:.40}")
    return ClientData(
        type=kind,
        challenge=decode_base64url(challenge, what="clientDataJSON challenge"),
        origin=origin,
        cross_origin=obj.get("crossOrigin") is True,
        raw=raw,
    )


# --- the IC's signature blob ------------------------------------------------------------------


@dataclass(frozen=True)
class WebAuthnSignature:
    """The IC's WebAuthn signature (ic-interface-facts §4.4)."""

    authenticator_data: bytes
    client_data_json: str
    signature: bytes


def encode_webauthn_signature(authenticator_data: bytes, client_data_json: bytes | str, signature: bytes) -> bytes:
    """The blob a browser sends as `sender_sig` or delegation signature (tag 55799 CBOR map)."""
    text = client_data_json if isinstance(client_data_json, str) else bytes(client_data_json).decode("utf-8")
    return cbor.encode(
        {"authenticator_data": bytes(authenticator_data), "client_data_json": text, "signature": bytes(signature)}
    )


def parse_webauthn_signature(data: bytes) -> WebAuthnSignature:
    if not isinstance(data, (bytes, bytearray)):
        raise WebAuthnError(f"WebAuthn signature: expected bytes, found {type(data).__name__}")
    try:
        decoded = cbor.decode(bytes(data), max_size=MAX_SIGNATURE_BLOB_BYTES)
    except CborError as exc:
        raise WebAuthnError(f"WebAuthn signature: not valid CBOR: {exc}") from None
    if not isinstance(decoded, dict):
        raise WebAuthnError(f"WebAuthn signature: expected a CBOR map, found {type(decoded).__name__}")
    fields = (("authenticator_data", bytes, "bytes"), ("client_data_json", str, "text"), ("signature", bytes, "bytes"))
    for name, kind, label in fields:
        if name not in decoded:
            raise WebAuthnError(f"WebAuthn signature: field '{name}' is missing")
        if not isinstance(decoded[name], kind):
            raise WebAuthnError(
                f"WebAuthn signature: field '{name}' must be {label}, found {type(decoded[name]).__name__}"
            )
    return WebAuthnSignature(decoded["authenticator_data"], decoded["client_data_json"], decoded["signature"])


# --- verification --------------------------------------------------------------------------


def verify_webauthn_signature(
    public_key: WebAuthnPublicKey | bytes,
    payload: bytes,
    signature: bytes | WebAuthnSignature,
    *,
    expected_type: str = "webauthn.get",
    expected_origin: str | None = None,
    expected_rp_id: str | None = None,
) -> None:
    """Verify a WebAuthn signature over `payload` (the challenge: domain separator ‖ message).

    The IC checks the challenge and the signature; the type check mirrors what every browser
    writes for an assertion. `expected_origin` / `expected_rp_id` add the relying-party checks a
    Web2 backend wants; the IC itself has none (ic-interface-facts §4.4).
    """
    key = parse_der(public_key) if isinstance(public_key, (bytes, bytearray)) else public_key
    if not isinstance(key, WebAuthnPublicKey):
        raise WebAuthnError(f"WebAuthn signature: the key is {key.scheme}, not a WebAuthn COSE key")
    parsed = signature if isinstance(signature, WebAuthnSignature) else parse_webauthn_signature(signature)
    client = parse_client_data(parsed.client_data_json)
    if client.type != expected_type:
        raise WebAuthnError(f"clientDataJSON: type is {client.type!r}, expected {expected_type!r}")
    if client.challenge != payload:
        raise WebAuthnError(
            "clientDataJSON: challenge does not match the signed payload: "
            f"expected {encode_base64url(payload)!r}, found {encode_base64url(client.challenge)!r}"
        )
    if expected_origin is not None and client.origin != expected_origin:
        raise WebAuthnError(f"clientDataJSON: origin is {client.origin!r}, expected {expected_origin!r}")
    authenticator_data = parsed.authenticator_data
    if len(authenticator_data) < MIN_AUTHENTICATOR_DATA:
        raise WebAuthnError(
            f"authenticator data: expected at least {MIN_AUTHENTICATOR_DATA} bytes, found {len(authenticator_data)}"
        )
    if expected_rp_id is not None:
        wanted = hashlib.sha256(expected_rp_id.encode("utf-8")).digest()
        if authenticator_data[:32] != wanted:
            raise WebAuthnError(
                f"authenticator data: rpIdHash {authenticator_data[:32].hex()} is not SHA-256({expected_rp_id!r})"
            )
    signed = authenticator_data + hashlib.sha256(client.raw).digest()
    try:
        verify_cose_signature(key.cose, signed, parsed.signature)
    except (SignatureError, KeyFormatError) as exc:
        raise WebAuthnError(str(exc)) from None
