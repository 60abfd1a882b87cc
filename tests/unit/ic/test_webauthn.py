"""ic.webauthn: attestation → COSE → DER, the IC's signature blob, and server-side verification."""

from __future__ import annotations

import hashlib
import json

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ic.soft_authenticator import AAGUID, EDDSA, ES256, RS256, SoftAuthenticator, b64url

from ic.errors import KeyFormatError, WebAuthnError
from ic.keys import WebAuthnPublicKey, parse_der
from ic.signatures import verify_signature
from ic.keys.cose import CoseEc2Key, CoseOkpKey, CoseRsaKey
from ic.webauthn import (
    WebAuthnSignature,
    decode_base64url,
    encode_webauthn_signature,
    parse_attestation_object,
    parse_authenticator_data,
    parse_client_data,
    parse_webauthn_signature,
    public_key_from_attestation,
    verify_webauthn_signature,
)

ALGS = [ES256, EDDSA, RS256]
ALG_IDS = ["ES256", "EdDSA", "RS256"]
# What II's passkey signs: the delegation domain separator and a 32-byte hash (ii-facts §2).
PAYLOAD = b"\x1aic-request-auth-delegation" + hashlib.sha256(b"delegation").digest()
COSE_OID_PREFIX = bytes.fromhex("300c060a2b0601040183b8430101")


@pytest.fixture(scope="module", params=ALGS, ids=ALG_IDS)
def authenticator(request):
    return SoftAuthenticator(request.param)


def _signature(authenticator, payload=PAYLOAD, **kwargs) -> bytes:
    return encode_webauthn_signature(*authenticator.assert_challenge(payload, **kwargs))


# --- attestation ---------------------------------------------------------------------------


def test_parse_attestation_object(authenticator):
    attestation = parse_attestation_object(authenticator.attestation_object())
    assert attestation.fmt == "none" and attestation.att_stmt == {}
    data = attestation.auth_data
    assert data.rp_id_hash == hashlib.sha256(b"localhost").digest()
    assert data.user_present and data.user_verified and not data.backup_eligible
    assert data.extensions is None
    credential = data.attested_credential
    assert credential.aaguid == AAGUID
    assert credential.credential_id == authenticator.credential_id
    assert credential.cose_bytes == cbor2.dumps(authenticator.cose_parameters())
    expected_type = {ES256: CoseEc2Key, EDDSA: CoseOkpKey, RS256: CoseRsaKey}[authenticator.alg]
    assert isinstance(credential.cose_key, expected_type)


def test_public_key_from_attestation_is_der_wrapped_cose(authenticator):
    key = public_key_from_attestation(authenticator.attestation_object())
    der = key.to_der()
    header = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)  # RSA keys need a long-form length
    assert der[header : header + len(COSE_OID_PREFIX)] == COSE_OID_PREFIX
    assert der.endswith(key.cose_bytes)
    assert parse_der(der) == key
    assert cbor2.loads(key.cose_bytes) == authenticator.cose_parameters()


def test_es256_key_is_exactly_the_spec_layout():
    authenticator = SoftAuthenticator(ES256)
    params = authenticator.cose_parameters()
    der = public_key_from_attestation(authenticator.attestation_object()).to_der()
    expected_cose = bytes.fromhex("a5010203262001215820") + params[-2] + bytes.fromhex("225820") + params[-3]
    assert der == bytes.fromhex("305e300c060a2b0601040183b8430101034e00") + expected_cose


def test_cose_key_is_filtered_and_reencoded_canonically():
    authenticator = SoftAuthenticator(ES256)
    params = authenticator.cose_parameters()
    # Extra parameters (kid, key_ops) and a non-canonical order, as some authenticators write.
    noisy = {-3: params[-3], 2: b"kid", -2: params[-2], 4: [2], 3: -7, -1: 1, 1: 2}
    key = public_key_from_attestation(authenticator.attestation_object(cose=cbor2.dumps(noisy)))
    assert key.cose_bytes == cbor2.dumps(params)  # 1, 3, -1, -2, -3 in that order, nothing else
    assert list(cbor2.loads(key.cose_bytes)) == [1, 3, -1, -2, -3]


def test_extensions_after_the_credential_key():
    authenticator = SoftAuthenticator(ES256)
    attestation = parse_attestation_object(authenticator.attestation_object(extensions={"credProtect": 2}))
    assert attestation.auth_data.extensions == {"credProtect": 2}
    assert attestation.auth_data.attested_credential.cose_bytes == cbor2.dumps(authenticator.cose_parameters())


def _auth_data_with(authenticator, *, flags, tail) -> bytes:
    return hashlib.sha256(b"localhost").digest() + bytes([flags]) + b"\x00\x00\x00\x01" + tail


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda a: b"\x00" * 36, "expected at least 37 bytes (rpIdHash, flags, signCount), found 36"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID), "only 16 bytes follow signCount"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x04\x00" + bytes(1024)), "credentialIdLength 1024"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x00\x20" + bytes(8)), "credential id of 32 bytes declared, only 8 remain"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x00\x01\x07"), "credential public key is missing"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x00\x01\x07\xa1\x01"), "credential public key at offset 56 is not valid CBOR"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x00\x01\x07" + cbor2.dumps({1: 4, 3: -7})), "key type (1) 4 is not supported"),
        (lambda a: _auth_data_with(a, flags=0x41, tail=AAGUID + b"\x00\x01\x07" + cbor2.dumps(a.cose_parameters()) + b"\x00"), "1 unexpected bytes"),
        (lambda a: _auth_data_with(a, flags=0x81, tail=b""), "the ED flag is set but no extensions follow"),
        (lambda a: _auth_data_with(a, flags=0x81, tail=b"\x01"), "extensions at offset 37 must be a CBOR map"),
        (lambda a: _auth_data_with(a, flags=0x01, tail=b"\xa0"), "1 unexpected bytes at offset 37"),
    ],
    ids=["short", "no-aaguid", "long-id", "short-id", "no-key", "bad-cbor", "bad-kty", "trailing", "ed-empty", "ed-not-map", "trailing-no-flags"],
)
def test_parse_authenticator_data_rejects(build, message):
    with pytest.raises(WebAuthnError) as info:
        parse_authenticator_data(build(SoftAuthenticator(ES256)))
    assert message in str(info.value)


@pytest.mark.parametrize(
    "cose,message",
    [
        ({1: 2, 3: -35, -1: 2, -2: bytes(48), -3: bytes(48)}, "EC2 key with algorithm -35; expected -7 (ES256)"),
        ({1: 1, 3: -8, -1: 7, -2: bytes(57)}, "OKP curve 7 is not supported"),
        ({1: 2, 3: -7, -1: 1, -2: bytes(32)}, "parameter -3 (y) is missing"),
        ({1: 2, 3: -7, -1: 1, -2: bytes(31), -3: bytes(32)}, "parameter -2 (x) must be 32 bytes, found 31"),
        ({1: 2, 3: -7, -1: 1, -2: bytes(32), -3: bytes(32)}, "not on the P-256 curve"),
        ({1: 3, 3: -257, -1: b"\x01" * 64, -2: b"\x01\x00\x01"}, "RSA modulus of 505 bits"),
        ({1: 2, -1: 1}, "parameter 3 (alg) is missing"),
    ],
    ids=["es384", "ed448", "no-y", "short-x", "off-curve", "rsa-512", "no-alg"],
)
def test_unsupported_cose_keys_are_refused(cose, message):
    attestation = SoftAuthenticator(ES256).attestation_object(cose=cbor2.dumps(cose))
    with pytest.raises(WebAuthnError) as info:
        parse_attestation_object(attestation)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "obj,message",
    [
        ([1, 2], "expected a CBOR map, found list"),
        ({"fmt": "none", "attStmt": {}}, "'authData' must be bytes, found NoneType"),
        ({"fmt": 1, "attStmt": {}, "authData": b""}, "'fmt' must be text"),
        ({"fmt": "none", "attStmt": [], "authData": b""}, "'attStmt' must be a map"),
        ({"fmt": "none", "attStmt": {}, "authData": bytes(32) + b"\x05" + bytes(4)}, "no attested credential data"),
    ],
    ids=["not-map", "no-authdata", "fmt-int", "attstmt-list", "no-at"],
)
def test_parse_attestation_object_rejects(obj, message):
    with pytest.raises(WebAuthnError) as info:
        parse_attestation_object(cbor2.dumps(obj))
    assert message in str(info.value)


def test_attestation_object_that_is_not_cbor():
    with pytest.raises(WebAuthnError, match="attestation object: not valid CBOR"):
        parse_attestation_object(b"\xa3\x63fmt")


# --- client data and the signature blob ----------------------------------------------------


def test_parse_client_data():
    raw = SoftAuthenticator(ES256).client_data_json(PAYLOAD)
    client = parse_client_data(raw)
    assert client.type == "webauthn.get"
    assert client.challenge == PAYLOAD
    assert client.origin == "http://localhost:4943"
    assert client.raw == raw
    assert parse_client_data(raw.decode()) == client


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"\xff", "not valid UTF-8 JSON"),
        (b"[1]", "expected a JSON object, found list"),
        (b'{"challenge":"AA"}', "'type' must be a string"),
        (b'{"type":"webauthn.get"}', "'challenge' must be a string"),
        (b'{"type":"webauthn.get","challenge":"a+b/"}', "expected base64url text"),
        (b'{"type":"webauthn.get","challenge":"abcde"}', "5 base64url characters is not a possible length"),
        (b'{"type":"webauthn.get","challenge":"AA","origin":5}', "'origin' must be a string"),
        (b" " * 9000, "at most 8192 are accepted"),
    ],
    ids=["utf8", "list", "no-type", "no-challenge", "std-base64", "bad-length", "origin-int", "huge"],
)
def test_parse_client_data_rejects(raw, message):
    with pytest.raises(WebAuthnError) as info:
        parse_client_data(raw)
    assert message in str(info.value)


def test_base64url_accepts_padding_and_rejects_other_alphabets():
    assert decode_base64url("AAE", what="x") == b"\x00\x01"
    assert decode_base64url("AAE=", what="x") == b"\x00\x01"
    assert decode_base64url(b64url(bytes(range(256))), what="x") == bytes(range(256))
    with pytest.raises(WebAuthnError, match="expected base64url text"):
        decode_base64url("AA E", what="x")


def test_signature_blob_round_trip():
    auth_data, client_data, raw_signature = SoftAuthenticator(ES256).assert_challenge(PAYLOAD)
    blob = encode_webauthn_signature(auth_data, client_data, raw_signature)
    assert blob[:3] == b"\xd9\xd9\xf7"
    decoded = cbor2.loads(blob)  # cbor2 drops the self-describe tag itself
    assert decoded == {"authenticator_data": auth_data, "client_data_json": client_data.decode(), "signature": raw_signature}
    assert parse_webauthn_signature(blob) == WebAuthnSignature(auth_data, client_data.decode(), raw_signature)


@pytest.mark.parametrize(
    "obj,message",
    [
        ({"client_data_json": "{}", "signature": b""}, "field 'authenticator_data' is missing"),
        ({"authenticator_data": b"", "client_data_json": b"{}", "signature": b""}, "field 'client_data_json' must be text, found bytes"),
        ({"authenticator_data": b"", "client_data_json": "{}", "signature": "x"}, "field 'signature' must be bytes, found str"),
        ([b"", "{}", b""], "expected a CBOR map, found list"),
    ],
    ids=["missing", "cdj-bytes", "sig-text", "list"],
)
def test_parse_signature_blob_rejects(obj, message):
    with pytest.raises(WebAuthnError) as info:
        parse_webauthn_signature(cbor2.dumps(cbor2.CBORTag(55799, obj)))
    assert message in str(info.value)


def test_parse_signature_blob_rejects_non_cbor():
    with pytest.raises(WebAuthnError, match="WebAuthn signature: not valid CBOR"):
        parse_webauthn_signature(b"\xd9\xd9\xf7\xa3")


# --- verification --------------------------------------------------------------------------


def _key(authenticator) -> WebAuthnPublicKey:
    return public_key_from_attestation(authenticator.attestation_object())


def test_verify_all_algorithms(authenticator):
    key = _key(authenticator)
    blob = _signature(authenticator)
    verify_webauthn_signature(key, PAYLOAD, blob)
    verify_webauthn_signature(key.to_der(), PAYLOAD, blob, expected_origin="http://localhost:4943", expected_rp_id="localhost")
    verify_signature(key.to_der(), PAYLOAD, blob)  # through ic.keys, as the replica calls it


def test_verify_rejects_wrong_type(authenticator):
    with pytest.raises(WebAuthnError, match="type is 'webauthn.create', expected 'webauthn.get'"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, _signature(authenticator, kind="webauthn.create"))


def test_verify_rejects_other_challenge(authenticator):
    other = b"\x0aic-request" + bytes(32)
    with pytest.raises(WebAuthnError, match="challenge does not match the signed payload") as info:
        verify_webauthn_signature(_key(authenticator), PAYLOAD, _signature(authenticator, payload=other))
    assert b64url(PAYLOAD) in str(info.value) and b64url(other) in str(info.value)


def test_verify_rejects_tampered_signature(authenticator):
    auth_data, client_data, raw_signature = authenticator.assert_challenge(PAYLOAD)
    flipped = raw_signature[:-1] + bytes([raw_signature[-1] ^ 1])
    with pytest.raises(WebAuthnError, match="signature does not verify"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, encode_webauthn_signature(auth_data, client_data, flipped))


def test_verify_rejects_tampered_authenticator_data(authenticator):
    auth_data, client_data, raw_signature = authenticator.assert_challenge(PAYLOAD)
    changed = auth_data[:-1] + bytes([auth_data[-1] ^ 1])  # the sign count
    with pytest.raises(WebAuthnError, match="signature does not verify"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, encode_webauthn_signature(changed, client_data, raw_signature))


def test_verify_rejects_reformatted_client_data(authenticator):
    auth_data, client_data, raw_signature = authenticator.assert_challenge(PAYLOAD)
    spaced = json.dumps(json.loads(client_data)).encode()  # same content, other bytes
    assert spaced != client_data
    with pytest.raises(WebAuthnError, match="signature does not verify"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, encode_webauthn_signature(auth_data, spaced, raw_signature))


def test_verify_rejects_another_key(authenticator):
    stranger = SoftAuthenticator(authenticator.alg)
    with pytest.raises(WebAuthnError, match="signature does not verify"):
        verify_webauthn_signature(_key(stranger), PAYLOAD, _signature(authenticator))


def test_verify_rejects_wrong_origin_and_rp_id():
    authenticator = SoftAuthenticator(ES256)
    key, blob = _key(authenticator), _signature(authenticator)
    with pytest.raises(WebAuthnError, match="origin is 'http://localhost:4943', expected 'https://id.ai'"):
        verify_webauthn_signature(key, PAYLOAD, blob, expected_origin="https://id.ai")
    with pytest.raises(WebAuthnError, match=r"rpIdHash [0-9a-f]{64} is not SHA-256\('id.ai'\)"):
        verify_webauthn_signature(key, PAYLOAD, blob, expected_rp_id="id.ai")


def test_verify_rejects_short_authenticator_data():
    authenticator = SoftAuthenticator(ES256)
    client_data = authenticator.client_data_json(PAYLOAD)
    blob = encode_webauthn_signature(b"\x00" * 36, client_data, b"\x30\x00")
    with pytest.raises(WebAuthnError, match="expected at least 37 bytes, found 36"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, blob)


def test_es256_signature_must_be_der_not_raw():
    from cryptography.hazmat.primitives.asymmetric import utils

    authenticator = SoftAuthenticator(ES256)
    auth_data, client_data, der_signature = authenticator.assert_challenge(PAYLOAD)
    r, s = utils.decode_dss_signature(der_signature)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    with pytest.raises(WebAuthnError, match="expected a DER-encoded ECDSA P-256 signature"):
        verify_webauthn_signature(_key(authenticator), PAYLOAD, encode_webauthn_signature(auth_data, client_data, raw))


def test_verify_rejects_non_webauthn_key():
    from ic.keys import Ed25519PublicKey

    with pytest.raises(WebAuthnError, match="the key is ed25519, not a WebAuthn COSE key"):
        verify_webauthn_signature(Ed25519PublicKey(bytes(32)), PAYLOAD, b"")


def test_cose_key_helpers_reject_garbage_directly():
    with pytest.raises(KeyFormatError, match="expected a CBOR map, found list"):
        WebAuthnPublicKey(cbor2.dumps([1, 2]))


# --- untrusted bytes -------------------------------------------------------------------------

_ATTESTED = SoftAuthenticator(ES256).attestation_object(extensions={"credProtect": 2})
_ES256_KEY = public_key_from_attestation(_ATTESTED)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_authenticator_data_fails_only_with_webauthn_error(data):
    auth_data = bytearray(cbor2.loads(_ATTESTED)["authData"])
    index = data.draw(st.integers(0, len(auth_data) - 1))
    auth_data[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(auth_data)))
    try:
        parsed = parse_authenticator_data(bytes(auth_data[:cut]))
    except WebAuthnError:
        return
    assert parsed.raw == bytes(auth_data[:cut])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_signature_blobs_fail_only_with_webauthn_error(blob):
    with pytest.raises(WebAuthnError):
        verify_webauthn_signature(_ES256_KEY, PAYLOAD, blob)
