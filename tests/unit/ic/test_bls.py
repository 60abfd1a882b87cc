"""ic.bls: DER wrapping, arkworks verify/sign/keygen against published vectors, identity points refused."""

from __future__ import annotations

import pytest

from ic import bls
from ic.errors import KeyFormatError

arkworks = pytest.importorskip("py_arkworks_bls12381")

IC_ROOT_KEY_DER = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c25"
    "5c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f"
    "8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
)
SEED = bytes(range(32))


def test_der_round_trip_of_the_mainnet_root_key():
    raw = bls.der_decode_public_key(IC_ROOT_KEY_DER)
    assert len(raw) == 96 and raw[:4].hex() == "814c0e6e"
    assert bls.der_encode_public_key(raw) == IC_ROOT_KEY_DER
    assert len(bls.DER_PREFIX) == 37


@pytest.mark.parametrize(
    ("der", "needle"),
    [
        (IC_ROOT_KEY_DER[:-1], "expected 133 bytes, found 132"),
        (IC_ROOT_KEY_DER + b"\x00", "expected 133 bytes, found 134"),
        (IC_ROOT_KEY_DER[:20] + b"\xff" + IC_ROOT_KEY_DER[21:], "byte 20 is 0xff, expected 0x06"),
        ("00", "expected bytes, found str"),
    ],
)
def test_der_decode_refuses_other_keys(der, needle):
    with pytest.raises(KeyFormatError, match=needle):
        bls.der_decode_public_key(der)


def test_der_encode_refuses_wrong_lengths():
    with pytest.raises(KeyFormatError, match="expected 96 bytes"):
        bls.der_encode_public_key(b"\x00" * 95)


# EIP-2333 test cases 0-3 (master keys): its HKDF_mod_r is the KeyGen of draft-irtf-cfrg-bls-signature.
EIP2333 = [
    (
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
        6083874454709270928345386274498605044986640685124978867557563392430687146096,
    ),
    ("3141592653589793238462643383279502884197169399375105820974944592", 29757020647961307431480504535336562678282505419141012933316116377660817309383),
    ("0099ff991111002299dd7744ee3355bbdd8844115566cc55663355668888cc00", 27580842291869792442942448775674722299803720648445448686099262467207037398656),
    ("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3", 19022158461524446591288038168518313374041767046816487870552872741050760015818),
]


@pytest.mark.parametrize(("seed", "secret"), EIP2333)
def test_keygen_matches_published_vectors(seed, secret):
    assert bls.keygen_secret(bytes.fromhex(seed)) == secret
    sk, _pk = bls.arkworks_keygen(bytes.fromhex(seed))
    assert int.from_bytes(sk, "big") == secret


def test_keygen_needs_32_bytes_of_seed():
    with pytest.raises(KeyFormatError, match="at least 32 bytes"):
        bls.arkworks_keygen(b"short")


# RFC 9380 appendix J.9.1 (BLS12381G1_XMD:SHA-256_SSWU_RO_): the hash-to-G1 that signatures use.
@pytest.mark.parametrize(
    ("msg", "x", "y"),
    [
        (
            b"",
            "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1",
            "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265",
        ),
        (
            b"abc",
            "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
            "0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d",
        ),
    ],
)
def test_hash_to_g1_matches_rfc9380(msg, x, y):
    point = arkworks.G1Point.hash_to_curve(msg, b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_")
    assert point.to_xy_bytes_be().hex() == x + y


def test_sign_then_verify():
    sk, pk = bls.arkworks_keygen(SEED)
    sig = bls.arkworks_sign(sk, b"message")
    assert len(sig) == 48 and len(pk) == 96
    assert bls.arkworks_verify(sig, b"message", pk) is True
    assert bls.arkworks_sign(sk, b"message") == sig  # deterministic


def test_signature_is_the_secret_times_the_hashed_message():
    sk, pk = bls.arkworks_keygen(SEED)
    scalar = arkworks.Scalar(int.from_bytes(sk, "big"))
    assert pk == (arkworks.G2Point() * scalar).to_compressed_bytes()
    hashed = arkworks.G1Point.hash_to_curve(b"m", bls.DST)
    assert bls.arkworks_sign(sk, b"m") == (hashed * scalar).to_compressed_bytes()


def test_tampering_fails():
    sk, pk = bls.arkworks_keygen(SEED)
    _, other_pk = bls.arkworks_keygen(bytes(32))
    sig = bls.arkworks_sign(sk, b"message")
    assert not bls.arkworks_verify(sig, b"messagf", pk)
    assert not bls.arkworks_verify(sig, b"message", other_pk)
    assert not bls.arkworks_verify(bls.arkworks_sign(sk, b"other"), b"message", pk)
    for i in range(48):
        flipped = bytearray(sig)
        flipped[i] ^= 0x01
        assert not bls.arkworks_verify(bytes(flipped), b"message", pk)


def test_identity_points_are_refused():
    sk, pk = bls.arkworks_keygen(SEED)
    g1_identity = arkworks.G1Point.identity().to_compressed_bytes()
    g2_identity = arkworks.G2Point.identity().to_compressed_bytes()
    assert g1_identity[0] == 0xC0 and g2_identity[0] == 0xC0
    # With both identities the pairing equation e(O, g2) = e(H(m), O) holds: it must still fail.
    assert not bls.arkworks_verify(g1_identity, b"anything", g2_identity)
    assert not bls.arkworks_verify(g1_identity, b"anything", pk)
    assert not bls.arkworks_verify(bls.arkworks_sign(sk, b"m"), b"m", g2_identity)
    assert arkworks.GT.pairing_check(
        [arkworks.G1Point.identity(), arkworks.G1Point.hash_to_curve(b"anything", bls.DST)],
        [-arkworks.G2Point(), arkworks.G2Point.identity()],
    )  # which is why the check must come first


@pytest.mark.parametrize(
    ("sig_len", "pk_len"), [(47, 96), (49, 96), (48, 95), (48, 97), (0, 0)]
)
def test_wrong_lengths_are_refused(sig_len, pk_len):
    assert not bls.arkworks_verify(b"\x80" * sig_len, b"m", b"\x80" * pk_len)


def test_invalid_points_are_refused_without_raising():
    sk, pk = bls.arkworks_keygen(SEED)
    sig = bls.arkworks_sign(sk, b"m")
    assert not bls.arkworks_verify(b"\x80" + b"\xff" * 47, b"m", pk)  # x >= p
    assert not bls.arkworks_verify(sig[:1] + b"\x00" * 47, b"m", pk)  # not on the curve (or wrong subgroup)
    assert not bls.arkworks_verify(bytes([sig[0] & 0x7F]) + sig[1:], b"m", pk)  # compression flag cleared


def test_sign_refuses_bad_secrets():
    with pytest.raises(KeyFormatError):
        bls.arkworks_sign(bytes(32), b"m")
    with pytest.raises(KeyFormatError):
        bls.arkworks_sign(b"\x01", b"m")
