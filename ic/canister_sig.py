"""Canister signatures (interface spec "Canister signatures"; ic-interface-facts §8; ii-facts §4).

A canister signs a payload by putting `sig / SHA-256(seed) / SHA-256(payload)` into a hash tree
whose root it certifies (`certified_data`); the signature is the tag-55799 CBOR map
`{certificate, tree}`: the subnet's certificate and the witness tree. Verification:

1. the blob starts with the self-describe tag and decodes to that map;
2. the certificate verifies against the IC root key (a subnet delegation must cover the canister);
3. `/canister/<id>/certified_data` in the certificate equals `reconstruct(tree)`;
4. `tree` contains the path `sig / SHA-256(seed) / SHA-256(payload)`.

The certificate's time is not checked unless the caller asks (`VerifyContext.max_certificate_age_ns`);
the replica does not check it either, expiry being carried by the delegation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ic import cbor, hash_tree
from ic.certificate import verify_certificate
from ic.errors import CborError, CertificateError, HashTreeError, SignatureError
from ic.hash_tree import Found, HashTree
from ic.keys.public_key import CanisterSigPublicKey
from ic.keys.verify import VerifyContext

SELF_DESCRIBE_TAG = b"\xd9\xd9\xf7"
MAX_SIGNATURE_BYTES = 1 << 20
SIG_LABEL = b"sig"


@dataclass(frozen=True)
class CanisterSignature:
    """The decoded signature: certificate bytes (CBOR) and the decoded witness tree."""

    certificate: bytes
    tree: HashTree


def signature_path(seed: bytes, payload: bytes) -> list[bytes]:
    """`[b"sig", SHA-256(seed), SHA-256(payload)]`: where the signature lives in the canister's tree."""
    return [SIG_LABEL, hashlib.sha256(seed).digest(), hashlib.sha256(payload).digest()]


def parse_canister_signature(data: bytes) -> CanisterSignature:
    """Decode the signature blob (step 1); the certificate itself is verified later."""
    if not isinstance(data, (bytes, bytearray)):
        raise SignatureError(f"canister signature: expected bytes, found {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(SELF_DESCRIBE_TAG):
        raise SignatureError(
            f"canister signature: must start with the CBOR self-describe tag d9d9f7, found {data[:3].hex() or 'nothing'}"
        )
    try:
        decoded = cbor.decode(data, max_size=MAX_SIGNATURE_BYTES)
    except CborError as exc:
        raise SignatureError(f"canister signature: not valid CBOR: {exc}") from None
    if not isinstance(decoded, dict):
        raise SignatureError(f"canister signature: expected a CBOR map, found {type(decoded).__name__}")
    certificate = decoded.get("certificate")
    if not isinstance(certificate, bytes):
        raise SignatureError(
            f"canister signature: field 'certificate' must be bytes, found {type(certificate).__name__}"
        )
    if "tree" not in decoded:
        raise SignatureError("canister signature: field 'tree' is missing")
    try:
        tree = hash_tree.decode_tree(decoded["tree"])
    except HashTreeError as exc:
        raise SignatureError(f"canister signature: field 'tree': {exc}") from None
    return CanisterSignature(certificate, tree)


def verify_canister_signature(
    public_key: CanisterSigPublicKey, payload: bytes, signature: bytes, *, ctx: VerifyContext
) -> None:
    """Verify a canister signature over `payload` (domain separator ‖ message); raises SignatureError."""
    parsed = parse_canister_signature(signature)
    cid = public_key.canister_id
    check_age = ctx.now_ns is not None and ctx.max_certificate_age_ns is not None
    try:
        certificate = verify_certificate(
            parsed.certificate,
            root_key_der=ctx.root_key_der,
            bls_verify=ctx.bls_verify,
            canister_id=cid,
            now_ns=ctx.now_ns if check_age else None,
            max_age_ns=ctx.max_certificate_age_ns,
        )
    except CertificateError as exc:
        raise SignatureError(f"canister signature: certificate: {exc}") from None
    path = [b"canister", cid.raw, b"certified_data"]
    lookup = hash_tree.lookup_path(certificate.tree, path)
    if not isinstance(lookup, Found):
        raise SignatureError(
            f"canister signature: the certificate has no certified_data for canister {cid.to_text()} "
            f"(lookup of /canister/{cid.to_text()}/certified_data: {type(lookup).__name__})"
        )
    certified = lookup.value
    root = hash_tree.reconstruct(parsed.tree)
    if certified != root:
        raise SignatureError(
            f"canister signature: certified_data of {cid.to_text()} is {certified.hex()}, "
            f"but the signature tree's root hash is {root.hex()}"
        )
    sig_path = signature_path(public_key.seed, payload)
    found = hash_tree.lookup_path(parsed.tree, sig_path)
    if not isinstance(found, Found):
        raise SignatureError(
            "canister signature: the tree does not contain sig/"
            f"{sig_path[1].hex()}/{sig_path[2].hex()} (SHA-256 of the seed / SHA-256 of the payload): "
            f"{type(found).__name__}"
        )
