"""ic.request_id: the representation-independent hash against the spec and agent-js vectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ic import request_id as rid
from ic.errors import RequestIdError
from ic.principal import Principal

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "ic" / "request_id_examples.json").read_text())


def value_of(spec: dict):
    """A Python value from the vector file's typed notation."""
    ((kind, raw),) = spec.items()
    if kind == "text":
        return raw
    if kind == "blob_hex":
        return bytes.fromhex(raw)
    if kind == "nat":
        return raw
    if kind == "array":
        return [value_of(item) for item in raw]
    if kind == "map":
        return {key: value_of(item) for key, item in raw.items()}
    raise AssertionError(f"unknown kind {kind}")


def content_of(case: dict) -> dict:
    return {key: value_of(spec) for key, spec in case["content"].items()}


CASES = VECTORS["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    content = content_of(case)
    expected = case.get("expected_request_id_hex") or case["expected_hash_hex"]
    assert rid.request_id(content).hex() == expected
    assert rid.hash_of_map(content).hex() == expected
    for step in case.get("intermediate", []):
        assert hashlib.sha256(step["key"].encode()).hexdigest() == step["key_hash"]
        assert rid.hash_value(content[step["key"]]).hex() == step["value_hash"]
    if "expected_paths_value_hash_hex" in case:
        assert rid.hash_value(content["paths"]).hex() == case["expected_paths_value_hash_hex"]


@pytest.mark.parametrize("example", VECTORS["leb128_examples"]["unsigned"])
def test_unsigned_leb128(example):
    assert rid.encode_leb128(example["value"]).hex() == example["leb128_hex"]


@pytest.mark.parametrize("example", VECTORS["leb128_examples"]["signed"])
def test_signed_leb128(example):
    assert rid.encode_sleb128(example["value"]).hex() == example["sleb128_hex"]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(63, "3f"), (64, "c000"), (-64, "40"), (-65, "bf7f"), (127, "ff00"), (-1, "7f"), (128, "8001")],
)
def test_signed_leb128_edges(value, encoded):
    assert rid.encode_sleb128(value).hex() == encoded


def test_negative_ints_hash_as_signed_leb128():
    assert rid.hash_value(-123456) == hashlib.sha256(bytes.fromhex("c0bb78")).digest()
    assert rid.hash_value(624485) == hashlib.sha256(bytes.fromhex("e58e26")).digest()


def test_domain_separators():
    assert rid.DOMAIN_REQUEST == b"\x0aic-request"
    assert rid.DOMAIN_DELEGATION == b"\x1aic-request-auth-delegation"
    assert rid.DOMAIN_RESPONSE == b"\x0bic-response"
    assert rid.DOMAIN_STATE_ROOT == b"\x0dic-state-root"
    assert rid.DOMAIN_SENDER_INFO == b"\x0eic-sender-info"
    assert len(rid.DOMAIN_DELEGATION) == 27


def test_none_fields_are_absent_and_principals_are_bytes():
    base = content_of(CASES[1])
    assert rid.request_id(dict(base, nonce=None)) == rid.request_id(base)
    with_principal = dict(base, canister_id=Principal(base["canister_id"]))
    assert rid.request_id(with_principal) == rid.request_id(base)


def test_request_id_type_displays_as_hex():
    value = rid.request_id(content_of(CASES[0]))
    assert isinstance(value, bytes) and len(value) == 32
    assert value.to_text() == "0x1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"a": True}, "booleans"),
        ({"a": 1.5}, "unsupported type float"),
        ({1: b""}, "map keys must be text"),
        ({"a": [b"", {"b": {2}}]}, r"content.a\[1\].b: unsupported type set"),
    ],
)
def test_values_without_a_hash_are_refused(content, needle):
    with pytest.raises(RequestIdError, match=needle):
        rid.request_id(content)


def test_leb128_refuses_negative_and_non_integers():
    with pytest.raises(RequestIdError):
        rid.encode_leb128(-1)
    with pytest.raises(RequestIdError):
        rid.encode_leb128(True)


def test_depth_bound():
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(RequestIdError, match="nested deeper"):
        rid.hash_value(deep)


values = st.recursive(
    st.one_of(st.binary(max_size=10), st.text(max_size=10), st.integers(min_value=-(2**70), max_value=2**70)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@settings(deadline=None)
@given(st.dictionaries(st.text(max_size=10), values, min_size=1, max_size=8), st.randoms())
def test_order_independence(content, random):
    items = list(content.items())
    random.shuffle(items)
    assert rid.request_id(dict(items)) == rid.request_id(content)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=2**128))
def test_leb128_decodes_back(value):
    encoded = rid.encode_leb128(value)
    assert sum((b & 0x7F) << (7 * i) for i, b in enumerate(encoded)) == value
    assert encoded[-1] < 0x80 and (len(encoded) == 1 or encoded[-1] != 0)


@settings(deadline=None)
@given(st.integers(min_value=-(2**128), max_value=2**128))
def test_sleb128_decodes_back(value):
    encoded = rid.encode_sleb128(value)
    decoded = sum((b & 0x7F) << (7 * i) for i, b in enumerate(encoded))
    if encoded[-1] & 0x40:
        decoded -= 1 << (7 * len(encoded))
    assert decoded == value
    if len(encoded) > 1:  # shortest: the last byte is not a redundant sign extension
        assert not (encoded[-1] == 0 and not encoded[-2] & 0x40) and not (encoded[-1] == 0x7F and encoded[-2] & 0x40)
