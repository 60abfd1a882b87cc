"""ic.candid.encode: exact bytes for known messages, the host-value conveniences, and errors."""

import pytest

from ic.candid import (BOOL, FLOAT32, FLOAT64, INT, INT8, NAT, NAT8, NAT64, NULL, PRINCIPAL,
                       RESERVED, TEXT, CandidError, Opt, Vec, decode, encode, parse_did,
                       parse_type)


@pytest.mark.parametrize("types, values, hexstr", [
    ([], [], "4449444c0000"),
    ([TEXT], ["Hi"], "4449444c00017102" + "4869"),
    ([NAT], [624485], "4449444c00017de58e26"),
    ([INT], [-123456], "4449444c00017cc0bb78"),
    ([INT8, NAT64], [-1, 2**64 - 1], "4449444c000277" + "78" + "ff" + "ff" * 8),
    ([FLOAT64], [0.5], "4449444c000172000000000000e03f"),
    ([FLOAT32], [3.0], "4449444c00017300004040"),
    ([Opt(NAT)], [[42]], "4449444c016e7d0100012a"),
    ([Opt(NAT)], [None], "4449444c016e7d010000"),
    ([Vec(NAT8)], [b"\x01\x02"], "4449444c016d7b01000201 02".replace(" ", "")),
    ([parse_type("record { foo : int; bar : bool }")], [{"foo": 42, "bar": True}],
     "4449444c016c02d3e3aa027e868eb7027c0100012a"),
    ([parse_type("variant { Ok : text; Err : text }")], [{"Ok": "good"}],
     "4449444c016b02bc8a0171c5fed2017101000004676f6f64"),
    ([RESERVED, NULL], [object(), None], "4449444c0002707f"),
    ([PRINCIPAL], [b"\x04"], "4449444c0001680101" + "04"),
])
def test_known_encodings(types, values, hexstr):
    assert encode(types, values).hex() == hexstr


def test_recursive_type_has_one_table_entry_per_node():
    did = parse_did("type List = opt record { head : nat; tail : List };")
    data = encode([did.lookup("List")], [[{"head": 1, "tail": None}]])
    assert data.hex() == "4449444c026e016c02a0d2aca8047d90eddae704000100010100"


def test_conveniences():
    purpose = parse_type("variant { recovery; authentication }")
    rec = parse_type("record { a : opt nat; b : nat; c : record { nat; text } }")
    assert encode([purpose], ["recovery"]) == encode([purpose], [{"recovery": None}])
    assert encode([rec], [{"b": 1, "c": [2, "x"]}]) == encode([rec], [{"a": None, "b": 1, "c": (2, "x")}])
    assert encode([Opt(NAT)], [[]]) == encode([Opt(NAT)], [None])
    assert encode([Vec(NAT8)], [[1, 2]]) == encode([Vec(NAT8)], [bytearray(b"\x01\x02")])
    assert encode([FLOAT64], [1]) == encode([FLOAT64], [1.0])
    # a field may be given by its id instead of its name
    assert encode([rec], [{97: None, 98: 1, 99: (2, "x")}]) == encode([rec], [{"b": 1, "c": (2, "x")}])


class _P:
    def __init__(self, raw):
        self.raw = raw


class _B:
    def __bytes__(self):
        return b"\x01\x02"


def test_principal_like_values():
    expected = encode([PRINCIPAL], [b"\x04"])
    assert encode([PRINCIPAL], [_P(b"\x04")]) == expected
    assert encode([PRINCIPAL], ["2vxsx-fae"]) == expected  # the anonymous principal's text form
    assert encode([PRINCIPAL], [_B()]) == encode([PRINCIPAL], [b"\x01\x02"])
    assert encode([PRINCIPAL], ["aaaaa-aa"]) == encode([PRINCIPAL], [b""])


@pytest.mark.parametrize("types, values, message", [
    ([NAT], [-1], r"argument 0: expected nat \(int >= 0\), found int -1"),
    ([NAT], [True], r"argument 0: expected nat \(int >= 0\), found bool True"),
    ([NAT8], [256], r"argument 0: expected nat8 \(0..255\), found int 256"),
    ([BOOL], [1], r"argument 0: expected bool, found int 1"),
    ([TEXT], [b"x"], r"argument 0: expected text \(str\), found bytes"),
    ([TEXT], ["\ud800"], r"expected text without lone surrogates"),
    ([FLOAT32], [1e300], r"expected float32 in range"),
    ([parse_type("record { delegation : record { pubkey : blob } }")],
     [{"delegation": {"pubkey": 5}}], r"argument 0 \.delegation \.pubkey: expected blob \(bytes\), found int 5"),
    ([parse_type("record { a : nat }")], [{}], r"argument 0 \.a: missing record field"),
    ([parse_type("record { a : nat }")], [{"a": 1, "b": 2}], r"unknown record field\(s\) \['b'\]"),
    ([parse_type("record { a : nat }")], [{"a": 1, 97: 1}], r"a field is given twice, by name and by id"),
    ([parse_type("variant { a; b }")], [{"c": None}], r"unknown variant tag 'c'; expected one of"),
    ([parse_type("variant { a; b }")], [{"a": None, "b": None}], r"expected variant \(dict with exactly one key\)"),
    ([Vec(INT)], [[1, "x"]], r"argument 0 \[1\]: expected int, found str"),
    ([Opt(NAT)], [[1, 2]], r"expected opt value \(None or a one-element list\)"),
    ([Opt(NAT)], [5], r"expected opt value"),
    ([PRINCIPAL], [12], r"expected a principal"),
    ([PRINCIPAL], ["not-a-principal"], r"bad principal text"),
    ([NAT], [1, 2], r"2 value\(s\) given for 1 argument type\(s\)"),
])
def test_bad_values_name_path_expected_and_found(types, values, message):
    with pytest.raises(CandidError, match=message):
        encode(types, values)


def test_float32_values_round_trip():
    assert decode(encode([FLOAT32], [0.1]), [FLOAT32]) == [pytest.approx(0.1, rel=1e-7)]
