"""ic.cbor: deterministic encoding within agent-js limits; bounded, strict decoding of untrusted bytes."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ic import cbor
from ic.errors import CborError

# -- encode -------------------------------------------------------------------------------------


def test_encode_prefixes_the_self_describe_tag():
    assert cbor.encode({}) == bytes.fromhex("d9d9f7a0")
    assert cbor.encode({}, self_describe=False) == bytes.fromhex("a0")


def test_encode_is_deterministic_whatever_the_insertion_order():
    a = cbor.encode({"zz": 1, "a": 2, "bb": 3, "b": 4})
    b = cbor.encode({"b": 4, "bb": 3, "a": 2, "zz": 1})
    assert a == b
    # length-first, then bytewise: "a" < "b" < "bb" < "zz"
    assert a == bytes.fromhex("d9d9f7a4" "616102" "616204" "62626203" "627a7a01")


def test_encode_writes_minimal_integer_heads_and_definite_lengths():
    assert cbor.encode([0, 23, 24, 255, 256, 2**32, 2**64 - 1, -1, -(2**64)], self_describe=False) == bytes.fromhex(
        "89" "00" "17" "1818" "18ff" "190100" "1b0000000100000000" "1bffffffffffffffff" "20" "3bffffffffffffffff"
    )


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (bytearray(b"\x01\x02"), "4201 02"),
        (memoryview(b"\x01\x02"), "4201 02"),
        ((1, 2), "820102"),
        (True, "f5"),
        (False, "f4"),
        (None, "f6"),
        ("é", "62c3a9"),
    ],
)
def test_encode_plain_types(value, rendered):
    assert cbor.encode(value, self_describe=False) == bytes.fromhex(rendered.replace(" ", ""))


def test_encode_accepts_integer_keys_for_cose():
    cose = {1: 2, 3: -7, -1: 1, -2: b"x" * 32, -3: b"y" * 32}
    encoded = cbor.encode_canonical(cose)
    assert encoded[:9] == bytes.fromhex("a5" "0102" "0326" "2001" "21" "58")
    assert cbor.decode(encoded) == cose


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (1.5, "float"),
        ({"a": 0.0}, "float"),
        (2**64, "64-bit"),
        (-(2**64) - 1, "64-bit"),
        ({b"k": 1}, "map key"),
        ({(1, 2): 1}, "map key"),
        ({True: 1}, "map key"),
        ({1, 2}, "unsupported type set"),
        (object(), "unsupported type object"),
        (cbor2.CBORTag(2, b"\x01"), "unsupported type CBORTag"),
    ],
)
def test_encode_refuses_what_agent_js_cannot_decode(value, needle):
    with pytest.raises(CborError, match=needle):
        cbor.encode(value)


def test_encode_refuses_cycles_and_absurd_depth():
    loop: list = []
    loop.append(loop)
    with pytest.raises(CborError, match="nested deeper"):
        cbor.encode(loop)


def test_encode_of_str_and_int_subclasses_is_their_plain_value():
    import enum

    class Kind(str, enum.Enum):
        CALL = "call"

    class Code(enum.IntEnum):
        FOUR = 4

    assert cbor.encode({"k": Kind.CALL, "c": Code.FOUR}) == cbor.encode({"k": "call", "c": 4})


# -- decode -------------------------------------------------------------------------------------


def test_decode_strips_the_self_describe_tag_anywhere():
    assert cbor.decode(bytes.fromhex("d9d9f7 d9d9f7 82 d9d9f7 01 a1 d9d9f7 6161 02".replace(" ", ""))) == [1, {"a": 2}]


def test_decode_accepts_what_agent_js_encodes():
    # undefined (f7) becomes None; 8-byte heads for small numbers; byte-string map keys.
    data = bytes.fromhex("d9d9f7a3" "6161f7" "61621b0000000000000005" "4101" "80")
    assert cbor.decode(data) == {"a": None, "b": 5, b"\x01": []}


def test_decode_accepts_bounded_indefinite_lengths():
    assert cbor.decode(bytes.fromhex("9f01bf616102ffff")) == [1, {"a": 2}]
    assert cbor.decode(bytes.fromhex("5f4101420203ff")) == b"\x01\x02\x03"
    assert cbor.decode(bytes.fromhex("7f6161626263ff")) == "abc"


@pytest.mark.parametrize(
    ("hexdata", "needle"),
    [
        ("", "ends at offset 0"),
        ("18", "needs 1 argument byte"),
        ("1c", "reserved additional information 28 at|malformed head 0x1c at offset 0"),
        ("0000", "1 unexpected byte\\(s\\) after the item at offset 1"),
        ("9bffffffffffffffff", "array at offset 0 declares 18446744073709551615 items"),
        ("bb7fffffffffffffff", "map at offset 0 declares"),
        ("5b00000000ffffffff00", "byte string at offset 0 declares 4294967295 bytes, only 1 left"),
        ("7a7fffffff", "text string at offset 0 declares"),
        ("828100", "ends at offset 3"),
        ("f93c00", "float at offset 0"),
        ("fa3fc00000", "float at offset 0"),
        ("fb3ff8000000000000", "float at offset 0"),
        ("c24101", "tag 2 at offset 0 is not allowed"),
        ("d9d9f7c074", "tag 0 at offset 3"),
        ("f0", "simple value 16 at offset 0"),
        ("f820", "simple value 32"),
        ("ff", "unexpected 'break'"),
        ("9f01", "no 'break'"),
        ("5f4101", "no 'break'"),
        ("5f6161ff", "chunk at offset 1 .* must be a definite byte string, found text string"),
        ("5f5f4101ffff", "must be a definite byte string"),
        ("62c328", "not valid UTF-8"),
        ("a2616101616102", "duplicate map key 'a' at offset 4"),
        ("a201010102", "duplicate map key 1"),
        ("a18001", "map key at offset 1 must be a text string, integer or byte string, found array"),
        ("a1f601", "map key at offset 1"),
        ("1f", "malformed head"),
        ("3f", "malformed head"),
        ("df", "malformed head"),
    ],
)
def test_decode_refuses_malformed_or_unsupported_input_naming_the_offset(hexdata, needle):
    with pytest.raises(CborError, match=needle):
        cbor.decode(bytes.fromhex(hexdata))


def test_decode_enforces_the_size_limit_before_reading():
    with pytest.raises(CborError, match="more than the limit of 10"):
        cbor.decode(b"\x40" * 11, max_size=10)


def test_decode_enforces_the_depth_limit():
    deep = b"\x81" * 200 + b"\x00"
    with pytest.raises(CborError, match="nested deeper than 128"):
        cbor.decode(deep)
    assert cbor.decode(b"\x81" * 5 + b"\x00", max_depth=5) == [[[[[0]]]]]
    with pytest.raises(CborError, match="nested deeper than 4"):
        cbor.decode(b"\x81" * 5 + b"\x00", max_depth=4)


def test_decode_of_a_million_nested_indefinite_arrays_fails_fast():
    with pytest.raises(CborError, match="nested deeper"):
        cbor.decode(b"\x9f" * 1_000_000)


def test_decode_allows_listed_tags_only():
    value = cbor.decode(bytes.fromhex("d82a4101"), allow_tags={42})
    assert isinstance(value, cbor2.CBORTag) and value.tag == 42 and value.value == b"\x01"


def test_decode_refuses_non_bytes():
    with pytest.raises(CborError, match="expected bytes"):
        cbor.decode("a0")  # type: ignore[arg-type]


def test_decode_prefix_returns_the_item_and_its_length():
    assert cbor.decode_prefix(bytes.fromhex("a1616101ff00")) == ({"a": 1}, 4)
    with pytest.raises(CborError, match="ends at offset"):
        cbor.decode_prefix(bytes.fromhex("a16161"))


# -- round trips ------------------------------------------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=20),
)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-1000, 1000)), children, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_round_trip(value):
    encoded = cbor.encode(value)
    assert cbor.decode(encoded) == value
    assert cbor.encode(cbor.decode(encoded)) == encoded  # canonical: re-encoding is byte-identical
    assert cbor2.loads(encoded) == value  # an independent decoder agrees


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_decode_of_random_bytes_returns_or_raises_cbor_error(data):
    try:
        cbor.decode(data)
    except CborError:
        pass
