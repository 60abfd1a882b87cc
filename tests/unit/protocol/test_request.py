"""Field checks shared by both protocols: origins, session keys, TTLs, value coercions."""

from __future__ import annotations

import pytest

from app.protocol.errors import InvalidRequest
from app.protocol.values import (
    BigIntValue,
    bytes_like,
    decode_base64,
    is_absent,
    nat64_from_any,
    nat64_from_decimal,
)
from app.protocol.request import (
    DEFAULT_TIME_TO_LIVE_NS,
    MAX_TIME_TO_LIVE_NS,
    AuthorizationRequest,
    AuthorizationResult,
    AuthnMethod,
    Protocol,
    check_request_origin,
    effective_time_to_live,
    is_origin,
    parse_origin,
    parse_session_key,
    remap_gateway_alias,
)
from tests.unit.protocol.payloads import b64, chain_for, ecdsa_session_key, ed25519_session_key, user_key

KEY = ecdsa_session_key()


@pytest.mark.parametrize("value", [
    "https://example.org", "http://localhost:4943", "http://bkyz2-fmaaa-aaaaa-qaaaq-cai.localhost:4943",
    "https://xn--bcher-kva.example", "http://127.0.0.1:8080", "http://[::1]:4943", "https://a.b.c.example:8443",
])
def test_origins(value):
    assert is_origin(value)
    assert parse_origin(value, "derivationOrigin") == value


@pytest.mark.parametrize("value", [
    "https://example.org/", "https://example.org/path", "https://example.org?x", "https://example.org#x",
    "https://Example.org", "https://example.org:443", "http://example.org:80", "https://example.org:0",
    "https://example.org:65536", "https://example.org:08080", "ftp://example.org", "example.org",
    "https://user@example.org", "https://exa mple.org", "https://-bad.example", "", "null", "https://bücher.example",
])
def test_not_origins(value):
    assert not is_origin(value)
    with pytest.raises(InvalidRequest) as raised:
        parse_origin(value, "derivationOrigin")
    assert raised.value.field == "derivationOrigin"


def test_origin_longer_than_the_canister_accepts():
    long_origin = "https://" + ".".join(["a" * 60] * 5) + ".example"
    assert is_origin(long_origin)
    with pytest.raises(InvalidRequest, match="longer than 255 bytes"):
        parse_origin(long_origin, "origin")


def test_opaque_request_origin():
    with pytest.raises(InvalidRequest, match="opaque origin") as raised:
        check_request_origin("null")
    assert raised.value.field == "origin"


@pytest.mark.parametrize("origin,expected", [
    ("https://abc-def.icp0.io", "https://abc-def.ic0.app"),
    ("https://abc.raw.icp0.io", "https://abc.raw.ic0.app"),
    ("https://abc.icp.net", "https://abc.ic0.app"),
    ("https://abc.ic0.app", "https://abc.ic0.app"),
    ("http://abc.icp0.io", "http://abc.icp0.io"),
    ("https://a.b.icp0.io", "https://a.b.icp0.io"),
    ("https://abc.icp0.io:8443", "https://abc.icp0.io:8443"),
])
def test_gateway_alias_remap(origin, expected):
    assert remap_gateway_alias(origin) == expected


def test_frontend_origin_is_the_derivation_origin_remapped():
    request = AuthorizationRequest(Protocol.ICRC, "https://dapp.example", KEY, DEFAULT_TIME_TO_LIVE_NS,
                                   derivation_origin="https://abc.icp0.io")
    assert request.frontend_origin == "https://abc.ic0.app"
    own = AuthorizationRequest(Protocol.LEGACY, "https://abc.icp.net", KEY, DEFAULT_TIME_TO_LIVE_NS)
    assert own.frontend_origin == "https://abc.ic0.app"


@pytest.mark.parametrize("key", [
    ecdsa_session_key(), ed25519_session_key(),
    bytes.fromhex("3056301006072a8648ce3d020106052b8104000a034200") + bytes.fromhex(
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"),  # secp256k1 generator
    user_key(),  # a canister-signature key may be delegated to as well
])
def test_session_keys_the_ic_accepts(key):
    assert parse_session_key(key, "k", allow_base64=False, allow_bytes=True) == key
    assert parse_session_key(b64(key), "k", allow_base64=True, allow_bytes=False) == key


def test_bls_keys_cannot_be_session_keys():
    bls = bytes.fromhex("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100") + bytes(96)
    with pytest.raises(InvalidRequest):
        parse_session_key(bls, "sessionPublicKey", allow_base64=False, allow_bytes=True)


def test_p256_point_off_the_curve_is_refused():
    bad = KEY[:-1] + bytes([KEY[-1] ^ 1])
    with pytest.raises(InvalidRequest, match="not a DER public key"):
        parse_session_key(bad, "sessionPublicKey", allow_base64=False, allow_bytes=True)


def test_oversized_session_keys_are_refused_before_parsing():
    with pytest.raises(InvalidRequest, match="at most 1024"):
        parse_session_key(bytes(5000), "k", allow_base64=False, allow_bytes=True)
    with pytest.raises(InvalidRequest, match="longer than 1024"):
        parse_session_key("A" * 4000, "k", allow_base64=True, allow_bytes=False)


def test_bytes_are_refused_where_only_base64_is_allowed():
    with pytest.raises(InvalidRequest, match="expected a base64 string"):
        parse_session_key(KEY, "publicKey", allow_base64=True, allow_bytes=False)


@pytest.mark.parametrize("requested,expected", [
    (None, DEFAULT_TIME_TO_LIVE_NS), (1, 1), (MAX_TIME_TO_LIVE_NS, MAX_TIME_TO_LIVE_NS),
    (MAX_TIME_TO_LIVE_NS + 1, MAX_TIME_TO_LIVE_NS), (2**64 - 1, MAX_TIME_TO_LIVE_NS),
])
def test_effective_time_to_live(requested, expected):
    assert effective_time_to_live(requested, "maxTimeToLive") == expected


def test_zero_time_to_live_is_refused():
    with pytest.raises(InvalidRequest, match="greater than 0"):
        effective_time_to_live(0, "maxTimeToLive")


def test_defaults_match_the_ii_backend():
    assert DEFAULT_TIME_TO_LIVE_NS == 1_800_000_000_000
    assert MAX_TIME_TO_LIVE_NS == 2_592_000_000_000_000


@pytest.mark.parametrize("value,expected", [
    (0, 0), (2**64 - 1, 2**64 - 1), (12.0, 12), ("0", 0), ("18446744073709551615", 2**64 - 1),
])
def test_nat64_forms(value, expected):
    assert nat64_from_any(value, "f") == expected


@pytest.mark.parametrize("value", [-1, 2**64, 1e30, -0.5, float("inf"), "", "+1", "0x10", "1_000", "١٢", None, b"1"])
def test_nat64_refusals(value):
    with pytest.raises(InvalidRequest):
        nat64_from_any(value, "f")


def test_decimal_strings_only_for_icrc():
    with pytest.raises(InvalidRequest, match="decimal string"):
        nat64_from_decimal(5, "maxTimeToLive")


def test_bytes_like_forms():
    assert bytes_like(memoryview(b"ab"), "f") == b"ab"
    assert bytes_like(bytearray(b"ab"), "f") == b"ab"
    assert bytes_like("ab", "f") is None and bytes_like([1], "f") is None


def test_base64_is_strict():
    assert decode_base64("YWI=", "f") == b"ab"
    for bad in ("YWI", "YW I=", "YWI=\n", "YW-_", "é"):
        with pytest.raises(InvalidRequest):
            decode_base64(bad, "f")


def test_absent_values():
    class JsNull:  # the name Pyodide gives its `null` sentinel
        def __bool__(self):
            return False

    assert is_absent(None) and is_absent(JsNull())
    assert not is_absent(0) and not is_absent("") and not is_absent(False)


def test_bigint_value_is_only_for_ints():
    assert BigIntValue(5).value == 5
    for bad in (True, 5.0, "5"):
        with pytest.raises(TypeError):
            BigIntValue(bad)


def test_authorization_result_checks_its_parts():
    result = AuthorizationResult(chain_for(KEY), "recovery")
    assert result.authn_method is AuthnMethod.RECOVERY
    with pytest.raises(TypeError):
        AuthorizationResult({"delegations": []})
    with pytest.raises(ValueError):
        AuthorizationResult(chain_for(KEY), "password")
