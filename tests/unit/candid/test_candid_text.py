"""ic.candid.text: the textual value syntax, parsed at expected types and printed."""

import pytest

from ic.candid import (CandidError, CandidSyntaxError, CandidTypeMismatch, format_value,
                       parse_did, parse_type, parse_types, parse_value_text)
from ic.candid.values import make_principal


@pytest.mark.parametrize("text, types, expected", [
    ("(1_000, -0x10, 0xf_F, +3)", "(nat, int, nat16, int)", [1000, -16, 255, 3]),
    ('("a\\tb\\u{1F600}\\e2\\98\\83", blob "\\00A")', "(text, blob)", ["a\tb😀☃", b"\x00A"]),
    ("(opt opt null, opt 5, null)", "(opt opt null, opt nat, opt nat)", [[[None]], [5], None]),
    ("(5, true)", "(opt nat, opt opt bool)", [[5], [[True]]]),
    ("(vec { 1; 2; }, vec { 3 })", "(vec nat, blob)", [[1, 2], b"\x03"]),
    ("(record { 1; b = \"x\"; 7 = null })", "(record { nat; b : text; c : opt nat })",
     [{0: 1, "b": "x", "c": None}]),
    ("(record { 1; true })", "(record { nat; bool })", [(1, True)]),
    ("(variant { ok = 1 }, variant { b })", "(variant { ok : nat; err : text }, variant { a; b })",
     [{"ok": 1}, {"b": None}]),
    ("((5 : nat8))", "(nat)", [5]),
    ('(principal "aaaaa-aa", service "2vxsx-fae")', "(principal, service {})",
     [make_principal(b""), make_principal(b"\x04")]),
    ("(1.5, -2., 1e3, 7)", "(float64, float32, float64, float64)", [1.5, -2.0, 1000.0, 7.0]),
    ("(0x1.8p3, -0x10, 0xA)", "(float64, float32, int8)", [12.0, -16.0, 10]),
])
def test_parse_at_types(text, types, expected):
    assert parse_value_text(text, parse_types(types)) == expected


def test_named_types_from_a_did_file():
    did = parse_did("type L = opt record { head : nat; tail : L };")
    assert parse_value_text("(opt record { head = 1; tail = null })", [did.lookup("L")], did.refs) == \
        [[{"head": 1, "tail": None}]]
    assert parse_value_text("((null : L))", [did.lookup("L")], did) == [None]


@pytest.mark.parametrize("text, types, error, message", [
    ("(-1)", "(nat)", CandidTypeMismatch, r"number -1 is out of range for nat"),
    ("(256)", "(nat8)", CandidTypeMismatch, r"number 256 is out of range for nat8"),
    ("(1.5)", "(int)", CandidTypeMismatch, r"value num cannot be read at type int"),
    ("(0x1p3)", "(nat)", CandidTypeMismatch, r"value num cannot be read at type nat"),
    ('("x")', "(nat)", CandidTypeMismatch, r"value text cannot be read at type nat"),
    ("(record {})", "(record { a : nat })", CandidTypeMismatch, r"record field 'a' is missing"),
    ("(variant { c })", "(variant { a; b })", CandidTypeMismatch, r"variant tag 'c' is not a tag"),
    ("()", "(nat)", CandidTypeMismatch, r"argument 0 of type nat is missing"),
    ("(1", "(nat)", CandidSyntaxError, r"1:3: expected ',' or '\)', found end of input"),
    ("(variant { a; b })", "(variant { a; b })", CandidSyntaxError, r"exactly one field"),
    ("(record { a = 1; a = 2 })", "(record {})", CandidSyntaxError, r"duplicate field"),
    ('("\\ff")', "(text)", CandidSyntaxError, r"not valid UTF-8"),
    ("(1) x", "(nat)", CandidSyntaxError, r"1:5: expected end of input, found 'x'"),
    ('(principal "bad")', "(principal)", CandidError, r"bad principal text"),
])
def test_parse_errors(text, types, error, message):
    with pytest.raises(error, match=message):
        parse_value_text(text, parse_types(types))


def test_natural_values_without_types():
    assert parse_value_text('(1, -2, 1.5, "t", opt null, vec { 1 }, record { a = 1 }, variant { x })') == \
        [1, -2, 1.5, "t", [None], [1], {"a": 1}, {"x": None}]


def test_format_value():
    types = parse_types('(nat, opt opt text, blob, record { nat; text }, record { "a b" : int; c : null },'
                        ' variant { ok; err : text }, float32, principal)')
    values = [5, [None], b'a"\x00', (1, "\n"), {"a b": -1, "c": None}, {"ok": None}, 2.0,
              make_principal(b"\x04")]
    assert format_value(values, types) == (
        '(5, opt null, blob "a\\22\\00", record { 1; "\\n" }, record { c = null; "a b" = -1 },'
        ' variant { ok }, 2.0, principal "2vxsx-fae")')
    assert parse_value_text(format_value(values, types), types) == values


def test_format_errors():
    with pytest.raises(CandidError, match=r"1 value\(s\) given for 2 type\(s\)"):
        format_value([1], [parse_type("nat"), parse_type("nat")])
    with pytest.raises(CandidError, match="inf has no Candid text form"):
        format_value([float("inf")], [parse_type("float64")])
