"""Property tests: encode/decode and print/parse round trips over random types and values, and
decoding of random bytes never hangs nor raises anything but CandidError."""

import math
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ic.candid import (BOOL, FLOAT32, FLOAT64, INT, INT8, INT16, INT32, INT64, NAT, NAT8, NAT16,
                       NAT32, NAT64, NULL, PRINCIPAL, RESERVED, TEXT, CandidError, FuncRef, Opt,
                       Record, Ref, Variant, Vec, decode, encode, format_value, make_field,
                       parse_type, parse_value_text, resolve)
from ic.candid.types import Func, Prim
from ic.candid.values import make_principal

PRIMS = [NULL, BOOL, NAT, INT, NAT8, NAT16, NAT32, NAT64, INT8, INT16, INT32, INT64, FLOAT32,
         FLOAT64, TEXT, RESERVED, PRINCIPAL]
RANGES = {NAT8: (0, 2**8 - 1), NAT16: (0, 2**16 - 1), NAT32: (0, 2**32 - 1), NAT64: (0, 2**64 - 1),
          INT8: (-2**7, 2**7 - 1), INT16: (-2**15, 2**15 - 1), INT32: (-2**31, 2**31 - 1),
          INT64: (-2**63, 2**63 - 1)}
NAMES = st.sampled_from(["a", "b", "foo", "bar", "head", "tail", "☃", "with space", "x_1"])


def _fields(child, min_size):
    return st.lists(st.tuples(st.one_of(NAMES, st.integers(0, 2**32 - 1)), child),
                    min_size=min_size, max_size=4, unique_by=lambda p: p[0]).map(
        lambda ps: tuple(make_field(k, t) for k, t in ps)).filter(
        lambda fs: len({f.id for f in fs}) == len(fs))


def _extend(child):
    return st.one_of(
        child.map(Opt), child.map(Vec),
        _fields(child, 0).map(Record),
        st.lists(child, min_size=1, max_size=3).map(lambda ts: Record(tuple(make_field(i, t) for i, t in enumerate(ts)))),
        _fields(child, 1).map(Variant),
    )


def _list_of(t):
    ref = Ref("L")
    ref.bind(Opt(Record((make_field("head", t), make_field("tail", ref)))))
    return ref


TYPES = st.recursive(st.sampled_from(PRIMS), lambda c: st.one_of(_extend(c), c.map(_list_of)),
                     max_leaves=8)
PRINCIPALS = st.binary(max_size=29).map(make_principal)


def values_of(t, depth=0, finite=False):
    t = resolve(t)
    cls = t.__class__
    if cls is Prim:
        if t in RANGES:
            return st.integers(*RANGES[t])
        return {
            "null": st.none(), "reserved": st.none(), "bool": st.booleans(),
            "nat": st.integers(min_value=0, max_value=2**200), "int": st.integers(-2**200, 2**200),
            "float32": st.floats(width=32, allow_nan=False, allow_infinity=not finite),
            "float64": st.floats(allow_nan=False, allow_infinity=not finite),
            "text": st.text(max_size=20), "principal": PRINCIPALS,
        }[t.name]
    if cls is Opt:
        return st.one_of(st.none(), values_of(t.inner, depth + 1, finite).map(lambda v: [v])) if depth < 6 else st.none()
    if cls is Vec:
        if resolve(t.inner) is NAT8:
            return st.binary(max_size=20)
        return st.lists(values_of(t.inner, depth + 1, finite), max_size=3 if depth < 6 else 0)
    if cls is Record:
        parts = [values_of(f.type, depth + 1, finite) for f in t.fields]
        if t.is_tuple:
            return st.tuples(*parts)
        return st.tuples(*parts).map(lambda vs: {f.key: v for f, v in zip(t.fields, vs)})
    if cls is Variant:
        return st.one_of(*[values_of(f.type, depth + 1, finite).map(lambda v, k=f.key: {k: v}) for f in t.fields])
    raise AssertionError(t)


@st.composite
def typed_values(draw, finite=False):
    types = draw(st.lists(TYPES, max_size=3))
    values = [draw(values_of(t, 0, finite)) for t in types]
    return types, values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_values())
def test_encode_decode_round_trip(tv):
    types, values = tv
    data = encode(types, values)
    assert decode(data, types) == values
    decode(data)  # and at the wire's own types


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_values(finite=True))  # the text syntax has no inf or nan
def test_text_round_trip(tv):
    types, values = tv
    text = format_value(values, types)
    assert parse_value_text(text, types) == values, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_values())
def test_decoding_at_a_supertype_wrapped_in_opt_never_fails(tv):
    types, values = tv
    data = encode(types, values)
    wrapped = decode(data, [Opt(t) for t in types])
    for v, w, t in zip(values, wrapped, types):
        r = resolve(t)
        if r is NULL or r is RESERVED:
            assert w is None
        elif r.__class__ is Opt:
            assert (w is None) == (v is None)
        else:
            assert w == [v]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_raise_only_candid_error(tail):
    for data in (tail, b"DIDL" + tail):
        try:
            decode(data)
        except CandidError:
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_values(), st.data())
def test_mutated_messages_raise_only_candid_error(tv, data):
    types, values = tv
    msg = bytearray(encode(types, values))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(msg) - 1))
        msg[i] = data.draw(st.integers(0, 255))
    for at in (None, types):
        try:
            decode(bytes(msg), at)
        except CandidError:
            pass


def test_func_values_round_trip():
    f = Func((NAT,), (TEXT,), ("query",))
    v = FuncRef(make_principal(b"\x01"), "go")
    assert decode(encode([f], [v]), [f]) == [v]
    assert parse_value_text(format_value([v], [f]), [f]) == [v]


def test_float_edge_values():
    for x in (0.0, -0.0, 1e-45, 3.4028234663852886e38, float("inf")):
        got = decode(encode([FLOAT32], [x]), [FLOAT32])[0]
        assert got == struct.unpack("<f", struct.pack("<f", x))[0]
    nan = decode(encode([FLOAT64], [float("nan")]), [FLOAT64])[0]
    assert math.isnan(nan)
    assert parse_type("float64") is FLOAT64
