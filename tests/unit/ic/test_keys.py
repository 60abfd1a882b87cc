"""ic.keys: DER public keys of every IC scheme, and server-side signature verification."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from hypothesis import given, settings
from hypothesis import strategies as st

from ic.errors import KeyFormatError, SignatureError
from ic.keys import (
    BlsPublicKey,
    CanisterSigPublicKey,
    EcdsaP256PublicKey,
    Ed25519PublicKey,
    Secp256k1PublicKey,
    WebAuthnPublicKey,
    parse_der,
)
from ic.keys.cose import CoseEc2Key
from ic.principal import Principal
from ic.signatures import verify_signature

DATA = Path(__file__).resolve().parents[2] / "data" / "ic" / "keys"
VALID = json.loads((DATA / "der_vectors.json").read_text())["vectors"]
INVALID = json.loads((DATA / "der_invalid.json").read_text())["vectors"]

TYPES = {
    "ed25519": Ed25519PublicKey,
    "ecdsa-p256": EcdsaP256PublicKey,
    "ecdsa-secp256k1": Secp256k1PublicKey,
    "webauthn": WebAuthnPublicKey,
    "canister-signature": CanisterSigPublicKey,
    "bls12381-g2": BlsPublicKey,
}


# --- DER ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_parse_der_vectors(vector):
    der = bytes.fromhex(vector["der"])
    key = parse_der(der)
    assert type(key) is TYPES[vector["scheme"]]
    assert key.scheme == vector["scheme"]
    assert key.to_der() == der
    assert key.principal().raw.hex() == vector["principal"]
    if vector["scheme"] == "canister-signature":
        assert key.canister_id.raw.hex() == vector["canister_id"]
        assert key.seed.hex() == vector["seed"]
    elif vector["scheme"] == "ed25519" or vector["scheme"] == "bls12381-g2":
        assert key.raw.hex() == vector["key"]
    elif vector["scheme"] == "webauthn":
        assert key.cose_bytes.hex() == vector["key"]
    else:
        assert key.point.hex() == vector["key"]


@pytest.mark.parametrize("vector", INVALID, ids=[v["name"] for v in INVALID])
def test_parse_der_rejects(vector):
    with pytest.raises(KeyFormatError) as info:
        parse_der(bytes.fromhex(vector["der"]))
    assert vector["error"] in str(info.value)


def test_der_matches_cryptography_for_generated_keys():
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    for private in (ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256K1())):
        der = private.public_key().public_bytes(serialization.Encoding.DER, spki)
        assert parse_der(der).to_der() == der


def test_canister_key_from_parts_matches_reference_vector():
    key = CanisterSigPublicKey(Principal.from_text("rwlgt-iiaaa-aaaaa-aaaaa-cai"), bytes.fromhex("2a482c"))
    assert key.to_der().hex() == "301f300c060a2b0601040183b8430102030f000a000000000000000001012a482c"


def test_ii_canister_key_with_32_byte_seed_is_62_bytes():
    key = CanisterSigPublicKey(Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai"), bytes(range(32)))
    der = key.to_der()
    assert len(key.raw()) == 43 and len(der) == 62
    assert parse_der(der) == key


def test_principal_is_sha224_of_der_plus_02():
    der = bytes.fromhex(VALID[0]["der"])
    assert parse_der(der).principal().raw == hashlib.sha224(der).digest() + b"\x02"


def test_parse_der_rejects_non_bytes_and_oversized_input():
    with pytest.raises(KeyFormatError, match="expected bytes, found str"):
        parse_der("302a")
    with pytest.raises(KeyFormatError, match="at most 4096 are accepted"):
        parse_der(b"\x30\x82\x10\x00" + bytes(4096))


def test_webauthn_key_rejects_extra_cose_parameters():
    from ic import cbor

    point = bytes.fromhex(VALID[1]["key"])
    params = {1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:], 4: [1]}
    with pytest.raises(KeyFormatError, match=r"unexpected parameters \[4\]"):
        WebAuthnPublicKey(cbor.encode(params, self_describe=False))


def test_webauthn_key_exposes_its_cose_key():
    key = parse_der(bytes.fromhex(VALID[5]["der"]))
    assert isinstance(key.cose, CoseEc2Key)
    assert key.cose.point().hex() == VALID[1]["key"]


ed25519_raw = st.binary(min_size=32, max_size=32)
canister_ids = st.binary(min_size=0, max_size=29)


@settings(max_examples=200, deadline=None)
@given(ed25519_raw)
def test_ed25519_der_round_trip(raw):
    key = Ed25519PublicKey(raw)
    assert parse_der(key.to_der()) == key


@settings(max_examples=200, deadline=None)
@given(canister_ids, st.binary(max_size=300))
def test_canister_key_der_round_trip(cid, seed):
    key = CanisterSigPublicKey(Principal.from_bytes(cid), seed)
    der = key.to_der()
    assert parse_der(der) == key
    assert der[-len(seed) - len(cid) - 1 :] == bytes([len(cid)]) + cid + seed


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_mutated_der_fails_only_with_key_format_error(vector, data):
    der = bytearray.fromhex(vector["der"])
    index = data.draw(st.integers(0, len(der) - 1))
    der[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(der)))
    try:
        key = parse_der(bytes(der[:cut]))
    except KeyFormatError:
        return
    assert key.to_der() == bytes(der[:cut])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_fail_only_with_key_format_error(blob):
    try:
        key = parse_der(blob)
    except KeyFormatError:
        return
    assert key.to_der() == blob


# --- signatures ----------------------------------------------------------------------------

MESSAGE = b"\x0aic-request" + bytes(range(32))


def _raw_ecdsa(private, message: bytes) -> bytes:
    r, s = utils.decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _der(private) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_verify_ed25519():
    private = ed25519.Ed25519PrivateKey.generate()
    verify_signature(_der(private), MESSAGE, private.sign(MESSAGE))
    verify_signature(parse_der(_der(private)), MESSAGE, private.sign(MESSAGE))


@pytest.mark.parametrize("curve,name", [(ec.SECP256R1(), "P-256"), (ec.SECP256K1(), "secp256k1")])
def test_verify_ecdsa_raw_signatures(curve, name):
    private = ec.generate_private_key(curve)
    verify_signature(_der(private), MESSAGE, _raw_ecdsa(private, MESSAGE))


def test_secp256k1_high_s_is_accepted():
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    private = ec.generate_private_key(ec.SECP256K1())
    raw = _raw_ecdsa(private, MESSAGE)
    s = int.from_bytes(raw[32:], "big")
    verify_signature(_der(private), MESSAGE, raw[:32] + (order - s).to_bytes(32, "big"))


@pytest.mark.parametrize(
    "make_private,sign",
    [
        (ed25519.Ed25519PrivateKey.generate, lambda k, m: k.sign(m)),
        (lambda: ec.generate_private_key(ec.SECP256R1()), _raw_ecdsa),
        (lambda: ec.generate_private_key(ec.SECP256K1()), _raw_ecdsa),
    ],
    ids=["ed25519", "p256", "secp256k1"],
)
def test_verify_rejects_tampering(make_private, sign):
    private = make_private()
    der = _der(private)
    signature = sign(private, MESSAGE)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_signature(der, MESSAGE, flipped)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_signature(der, MESSAGE + b"!", signature)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_signature(_der(make_private()), MESSAGE, signature)
    with pytest.raises(SignatureError, match="expected 64 bytes, found 63"):
        verify_signature(der, MESSAGE, signature[:63])


def test_verify_ecdsa_rejects_zero_r():
    private = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SignatureError, match="r and s must be non-zero"):
        verify_signature(_der(private), MESSAGE, bytes(32) + b"\x01" * 32)


def test_verify_rejects_bls_and_canister_keys_without_context():
    with pytest.raises(KeyFormatError, match="cannot sign requests"):
        verify_signature(bytes.fromhex(VALID[4]["der"]), MESSAGE, bytes(48))
    with pytest.raises(SignatureError, match="without a VerifyContext"):
        verify_signature(bytes.fromhex(VALID[3]["der"]), MESSAGE, b"\xd9\xd9\xf7\xa0")


def test_bls_der_agrees_with_ic_bls():
    from ic import bls

    _, public = bls.arkworks_keygen(b"a seed of at least thirty-two bytes!")
    key = parse_der(bls.der_encode_public_key(public))
    assert isinstance(key, BlsPublicKey) and key.raw == public
    assert key.to_der() == bls.der_encode_public_key(public)
