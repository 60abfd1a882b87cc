"""ic.principal: text form both ways, special forms, ordering and hashing."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ic.errors import PrincipalError
from ic.principal import Principal

IC_ROOT_KEY_DER = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c25"
    "5c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f"
    "8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
)


@pytest.mark.parametrize(
    ("hex_bytes", "text"),
    [
        ("", "aaaaa-aa"),  # management canister
        ("04", "2vxsx-fae"),  # anonymous
        ("abcd01", "em77e-bvlzu-aq"),  # interface spec example
        ("00000000000000070101", "rdmx6-jaaaa-aaaaa-aaadq-cai"),  # Internet Identity, canister index 7
        ("00000000000000020101", "ryjl3-tyaaa-aaaaa-aaaba-cai"),  # ICP ledger
    ],
)
def test_known_text_forms(hex_bytes, text):
    p = Principal(bytes.fromhex(hex_bytes))
    assert p.to_text() == text == str(p)
    assert Principal.from_text(text) == p
    assert Principal.from_text(text.upper()) == p


def test_canister_index_round_trip():
    assert Principal.from_canister_index(7) == Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai")
    assert Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai").canister_index() == 7
    with pytest.raises(PrincipalError, match="not a canister id"):
        Principal.anonymous().canister_index()
    with pytest.raises(PrincipalError, match="canister index"):
        Principal.from_canister_index(-1)


def test_self_authenticating_of_the_mainnet_root_key_is_the_nns_subnet_id():
    p = Principal.self_authenticating(IC_ROOT_KEY_DER)
    assert p.raw == hashlib.sha224(IC_ROOT_KEY_DER).digest() + b"\x02"
    assert p.to_text() == "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"
    assert p.is_self_authenticating() and not p.is_derived() and not p.is_opaque()


def test_special_forms_and_predicates():
    assert Principal.anonymous().raw == b"\x04" and Principal.anonymous().is_anonymous()
    assert Principal.management().raw == b"" and Principal.management().is_management()
    assert not Principal.management().is_opaque()
    assert Principal.from_canister_index(1).is_opaque()
    derived = Principal.derived(Principal.from_canister_index(7), b"nonce")
    assert derived.raw == hashlib.sha224(b"\x0a" + bytes.fromhex("00000000000000070101") + b"nonce").digest() + b"\x03"
    assert derived.is_derived()
    assert Principal(b"\x01\x7f").is_reserved()


def test_bytes_views():
    p = Principal.from_canister_index(7)
    assert bytes(p) == p.raw == Principal.from_bytes(bytearray(p.raw)).raw
    assert Principal.from_hex(p.to_hex()) == p
    assert repr(p) == "Principal('rdmx6-jaaaa-aaaaa-aaadq-cai')"


def test_ordering_and_hashing_follow_the_bytes():
    items = [Principal(b"\x02"), Principal(b""), Principal(b"\x01\x00"), Principal(b"\x01")]
    assert sorted(items) == [Principal(b""), Principal(b"\x01"), Principal(b"\x01\x00"), Principal(b"\x02")]
    assert len({Principal(b"\x04"), Principal.anonymous(), Principal.from_text("2vxsx-fae")}) == 1
    with pytest.raises(TypeError):
        Principal(b"") < b""  # noqa: B015


def test_immutable():
    p = Principal.anonymous()
    with pytest.raises(AttributeError):
        p.raw = b""  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"\x00" * 30, "at most 29 bytes, found 30"),
        ("04", "expected bytes, found str"),
    ],
)
def test_bad_bytes(raw, needle):
    with pytest.raises(PrincipalError, match=needle):
        Principal(raw)


def _text_of(payload: bytes) -> str:
    """Text form of arbitrary checksum+payload bytes, bypassing the checks (to build bad inputs)."""
    import base64

    chars = base64.b32encode(payload).decode().rstrip("=").lower()
    return "-".join(chars[i : i + 5] for i in range(0, len(chars), 5))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty string"),
        ("rdmx6-jaaaa-aaaaa-aaadq-ca1", "character '1' at position 26"),
        ("rdmx6-jaaaa-aaaaa-aaadq-ca_", "character '_' at position 26"),
        ("rdmx6 jaaaa-aaaaa-aaadq-cai", "character ' ' at position 5"),
        ("rdmx6jaaaa-aaaaa-aaadq-cai", "group 1 at position 0 has 10 characters, expected 5"),
        ("rdmx6-jaaa-aaaaaa-aadq-cai", "group 2 at position 6 has 4 characters, expected 5"),
        ("rdmx6-jaaaa-aaaaa-aaadq-cai-", "group 5 at position 24 has 3 characters, expected 5"),
        ("rdmx6-jaaaa-aaaaa-aaadq-caiaa-", "group 6 at position 30 has 0 characters, expected 1 to 5"),
        ("rdmx6--jaaaa", "group 2 at position 6 has 0 characters"),
        ("a" * 64, "at most 63 characters, found 64"),
        ("aaaaa-a", "7 base32 characters|6 base32 characters|not a valid length"),
        ("aaaa", "too short for the 4-byte checksum"),
        ("rdmx6-jaaaa-aaaaa-aaadq-caj", "not in canonical form; expected 'rdmx6-jaaaa-aaaaa-aaadq-cai'"),
    ],
)
def test_bad_text(text, needle):
    with pytest.raises(PrincipalError, match=needle):
        Principal.from_text(text)


def test_bad_checksum_names_expected_and_found():
    raw = bytes.fromhex("00000000000000070101")
    good = zlib.crc32(raw).to_bytes(4, "big")
    bad = bytes([good[0] ^ 1]) + good[1:]
    with pytest.raises(PrincipalError, match=f"bad checksum: expected {good.hex()} .* found {bad.hex()}"):
        Principal.from_text(_text_of(bad + raw))


def test_too_long_text_payload():
    raw = b"\x00" * 30
    with pytest.raises(PrincipalError, match="at most 63 characters|30 bytes, at most 29"):
        Principal.from_text(_text_of(zlib.crc32(raw).to_bytes(4, "big") + raw))


@settings(deadline=None)
@given(st.binary(max_size=29))
def test_text_round_trip(raw):
    p = Principal(raw)
    text = p.to_text()
    assert len(text) <= 63
    assert all(len(g) == 5 for g in text.split("-")[:-1])
    assert Principal.from_text(text) == p


@settings(deadline=None)
@given(st.text(max_size=70))
def test_parse_of_random_text_returns_or_raises_principal_error(text):
    try:
        p = Principal.from_text(text)
    except PrincipalError:
        return
    assert p.to_text() == text.lower()
