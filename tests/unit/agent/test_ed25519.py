"""Pure-Python Ed25519 (`ic.agent.ed25519`) against RFC 8032 §7.1 and against `cryptography`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from ic.agent import ed25519

VECTORS = json.loads((Path(__file__).parent / "data" / "rfc8032_ed25519.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rfc8032_vectors(vector):
    seed = bytes.fromhex(vector["secret_key"])
    message = bytes.fromhex(vector["message"])
    signature = bytes.fromhex(vector["signature"])
    assert ed25519.public_key(seed).hex() == vector["public_key"]
    assert ed25519.sign(seed, message) == signature
    assert ed25519.verify(bytes.fromhex(vector["public_key"]), message, signature)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_tampering_is_detected(vector):
    public = bytes.fromhex(vector["public_key"])
    message = bytes.fromhex(vector["message"])
    signature = bytearray.fromhex(vector["signature"])
    for index in (0, 31, 32, 63):
        forged = bytearray(signature)
        forged[index] ^= 0x01
        assert not ed25519.verify(public, message, bytes(forged))
    assert not ed25519.verify(public, message + b"x", bytes(signature))


def test_dummy_auth_seed_matches_the_known_key():
    # II's dummy-auth identity: Ed25519 with the seed 32 x 0x00.
    assert ed25519.public_key(bytes(32)).hex() == "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"


@settings(max_examples=15, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=200))
def test_agrees_with_cryptography(seed, message):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert ed25519.public_key(seed) == public
    assert ed25519.sign(seed, message) == key.sign(message)
    assert ed25519.verify(public, message, key.sign(message))


@pytest.mark.parametrize(
    "public, signature",
    [
        (b"\x00" * 31, b"\x00" * 64),  # short key
        (bytes.fromhex(VECTORS[0]["public_key"]), b"\x00" * 63),  # short signature
        (b"\xff" * 32, bytes.fromhex(VECTORS[0]["signature"])),  # not a curve point
        # S >= L (malleated signature): must be refused, as RFC 8032 §5.1.7 requires
        (
            bytes.fromhex(VECTORS[0]["public_key"]),
            bytes.fromhex(VECTORS[0]["signature"])[:32]
            + (int.from_bytes(bytes.fromhex(VECTORS[0]["signature"])[32:], "little") + ed25519.L).to_bytes(32, "little"),
        ),
    ],
)
def test_malformed_input_is_rejected_without_raising(public, signature):
    assert ed25519.verify(public, b"", signature) is False


def test_bad_seed_length():
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519.sign(b"short", b"")
