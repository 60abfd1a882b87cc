"""ic.candid.did_parser and the type AST: .did files, canonical printing, structural equality."""

import pathlib

import pytest

from ic.candid import (NAT, TEXT, CandidError, CandidSyntaxError, Func, Opt, Record, Vec,
                       idl_hash, is_subtype, make_field, parse_did, parse_type, parse_types)

II_DID = pathlib.Path("/work/shared/reference/internet_identity.did")


def test_idl_hash_known_values():
    assert idl_hash("foo") == 5097222
    assert idl_hash("bar") == 4895187
    assert idl_hash("☃") == 11272781  # the test suite's "record: unicode field"
    assert idl_hash("") == 0


SAMPLE = """
/* a /* nested */ comment */
type Tree = variant { leaf : nat; node : record { Tree; Tree } };  // trailing comment
type F = func (text) -> (nat) query;
type "quoted" = nat;
service : (opt record { seed : blob }) -> {
  greet : (name : text) -> (text) query;
  put : (Tree) -> () oneway;
  "weird name" : (nat, F) -> (opt Tree) composite_query;
  same : F;
}
"""


def test_parse_service_with_init_args_annotations_and_named_func_type():
    with pytest.raises(CandidSyntaxError, match=r"4:6: expected a type name, not a keyword|expected id"):
        parse_did(SAMPLE)
    did = parse_did(SAMPLE.replace('type "quoted" = nat;', ""))
    assert list(did.service) == ["greet", "put", "same", "weird name"]
    assert str(did.service["greet"]) == "func (text) -> (text) query"
    assert did.service["put"].annotations == ("oneway",)
    assert did.service["weird name"].annotations == ("composite_query",)
    assert str(did.service["weird name"]) == "func (nat, F) -> (opt Tree) composite_query"
    assert did.service["same"] == did.types["F"]
    assert [str(t) for t in did.init_args] == ["opt record { seed : blob }"]
    assert str(did.types["Tree"]) == "variant { leaf : nat; node : record { Tree; Tree } }"


def test_structural_equality_of_recursive_types_across_files():
    a = parse_did("type L = opt record { head : nat; tail : L };").lookup("L")
    b = parse_did("type M = opt N; type N = record { tail : M; head : nat };").lookup("M")
    c = parse_did("type L = opt record { head : int; tail : L };").lookup("L")
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert a == Opt(Record((make_field("head", NAT), make_field("tail", a))))
    assert is_subtype(a, c)
    v = parse_did("type V = vec record { nat; V };").lookup("V")
    w = parse_did("type W = vec record { int; W };").lookup("W")
    assert is_subtype(v, w) and not is_subtype(w, v)


def test_internet_identity_did_parses_completely():
    did = parse_did(II_DID.read_text())
    assert len(did.service) > 50
    assert str(did.service["lookup"]) == "func (UserNumber) -> (vec DeviceData) query"
    dd = did.lookup("DeviceData")
    assert [f.name for f in dd.target.fields][:3] == ["alias", "metadata", "origin"]
    md = parse_type("vec record { text; variant { map : MetadataMap; string : text; bytes : blob } }", did)
    assert md == did.lookup("MetadataMap")
    assert str(did.init_args[0]) == "opt InternetIdentityInit"
    for name, f in did.service.items():
        assert isinstance(f, Func)
        assert parse_types("(" + ", ".join(str(a) for a in f.args) + ")", did) == f.args, name


def test_canonical_printing():
    t = parse_type('record { z : nat; "a b" : text; 3 : opt vec nat8; text; 0x10 : bool }')
    assert str(t) == 'record { 3 : opt blob; 4 : text; 16 : bool; z : nat; "a b" : text }'
    assert str(parse_type("variant { b; a : null; c : text }")) == "variant { a; b; c : text }"
    assert str(parse_type("record { nat; text }")) == "record { nat; text }"
    assert str(parse_type("service { b : () -> (); a : (nat) -> (text) query }")) == \
        "service { a : (nat) -> (text) query; b : () -> () }"
    assert str(Vec(TEXT)) == "vec text"


@pytest.mark.parametrize("text, message", [
    ('import "other.did";', r"1:1: imports are not supported"),
    ("type A = B;", r"1:10: type 'B' is not defined"),
    ("type A = B; type B = A;", r"type 'A' is defined only in terms of itself"),
    ("type A = nat; type A = int;", r"type 'A' is defined twice"),
    ("type A = record { a : nat; a : int };", r"duplicate field label"),
    ("type A = record { a : nat", r"1:26: expected ';' or '}', found end of input"),
    ("type A = vec;", r"1:13: expected a type, found ';'"),
    ("service : { m : (nat) -> (nat) };\nservice : {}", r"2:1: a second service declaration"),
    ("/* unclosed", r"1:1: unclosed /\* comment"),
    ('type A = record { "\\q" : nat };', r"unknown escape"),
    ("type A = record { 4294967296 : nat };", r"field label out of range"),
    ("service : { m : A }; type A = nat;", r"service method 'm' has type A, expected a func type"),
])
def test_syntax_errors_name_line_and_column(text, message):
    with pytest.raises(CandidError, match=message):
        parse_did(text)


def test_lookup_unknown_name():
    with pytest.raises(CandidError, match="no type named 'X'"):
        parse_did("type A = nat;").lookup("X")


@pytest.mark.parametrize("a, b, expected", [
    ("nat", "int", True), ("int", "nat", False), ("nat", "reserved", True), ("empty", "text", True),
    ("nat", "opt nat", True), ("nat", "opt text", True), ("reserved", "opt nat", False),
    ("opt text", "opt nat", True), ("record { a : nat; b : text }", "record { a : int }", True),
    ("record { a : nat }", "record { a : nat; c : opt text }", True),
    ("record { a : nat }", "record { a : nat; c : text }", False),
    ("variant { a }", "variant { a; b }", True), ("variant { a; b }", "variant { a }", False),
    ("func (int) -> (nat)", "func (nat, opt text) -> (int)", True),
    ("func (nat) -> (nat)", "func (int) -> (nat)", False),
    ("func () -> () query", "func () -> ()", False),
    ("service { a : () -> (); b : () -> () }", "service { a : () -> () }", True),
    ("vec nat", "vec int", True), ("vec int", "vec nat", False),
])
def test_subtyping(a, b, expected):
    assert is_subtype(parse_type(a), parse_type(b)) is expected
