"""ic.candid.decode: value mapping, coercions, and every class of bad input with its message."""

import pytest

from ic.candid import (BOOL, INT, NAT, NAT8, NULL, PRINCIPAL, RESERVED, TEXT, CandidError,
                       CandidLimitError, CandidTypeMismatch, FuncRef, Limits, Opt, Record, Variant,
                       Vec, decode, encode, make_field, parse_did, parse_type)
from ic.candid.values import make_principal


def blob(hexstr: str) -> bytes:
    return b"DIDL" + bytes.fromhex(hexstr)


def test_decode_at_wire_types_uses_field_hashes_and_tuples():
    data = encode([parse_type("record { foo : nat; 0 : text }"), parse_type("record { nat; bool }")],
                  [{"foo": 1, 0: "x"}, (7, True)])
    assert decode(data) == [{0: "x", 5097222: 1}, (7, True)]


def test_decode_at_expected_type_skips_extra_fields_and_defaults_optional_ones():
    data = encode([parse_type("record { a : nat; b : text; c : vec nat }")],
                  [{"a": 1, "b": "x", "c": [1, 2]}])
    t = parse_type("record { b : text; d : opt nat; e : reserved; f : null }")
    assert decode(data, [t]) == [{"b": "x", "d": None, "e": None, "f": None}]


def test_missing_required_field_is_a_type_mismatch():
    data = encode([parse_type("record { a : nat }")], [{"a": 1}])
    with pytest.raises(CandidTypeMismatch, match=r"record field 'b' of type text is missing"):
        decode(data, [parse_type("record { a : nat; b : text }")])


def test_opt_coercions():
    # a non-opt value read at an opt type is wrapped; one that does not fit becomes null
    assert decode(encode([NAT], [5]), [Opt(NAT)]) == [[5]]
    assert decode(encode([NAT], [5]), [Opt(TEXT)]) == [None]
    assert decode(encode([Opt(NAT)], [[5]]), [Opt(TEXT)]) == [None]
    assert decode(encode([NAT], [5]), [Opt(Opt(NAT))]) == [[[5]]]
    assert decode(encode([NULL], [None]), [Opt(Opt(NAT))]) == [None]
    assert decode(encode([RESERVED], [None]), [Opt(NAT)]) == [None]
    # nat is read at int; a variant tag unknown to the expected type gives null under opt
    assert decode(encode([NAT], [2**70]), [INT]) == [2**70]
    v2 = parse_type("variant { a; b : nat }")
    assert decode(encode([v2], [{"b": 3}]), [Opt(parse_type("variant { a }"))]) == [None]
    assert decode(encode([v2], ["a"]), [Opt(parse_type("variant { a }"))]) == [[{"a": None}]]


def test_variant_with_unknown_tag_outside_opt_fails():
    data = encode([parse_type("variant { a; b : nat }")], [{"b": 3}])
    with pytest.raises(CandidTypeMismatch, match=r"variant tag 98 is not a tag of variant \{ a \}"):
        decode(data, [parse_type("variant { a }")])


def test_missing_and_extra_arguments():
    assert decode(encode([NAT, TEXT], [1, "x"]), [NAT]) == [1]
    assert decode(encode([NAT], [1]), [NAT, Opt(TEXT), NULL, RESERVED]) == [1, None, None, None]
    with pytest.raises(CandidError, match=r"argument 1 of type text is missing: the message has 1"):
        decode(encode([NAT], [1]), [NAT, TEXT])


def test_principal_func_and_service_references():
    raw = bytes.fromhex("00000000000000070101")
    f = parse_type("func (nat) -> (text) query")
    s = parse_type("service { m : (nat) -> () }")
    data = encode([PRINCIPAL, f, s], [raw, FuncRef(raw, "greet"), raw])
    p = make_principal(raw)
    assert decode(data) == [p, FuncRef(p, "greet"), p]
    assert data.endswith(b"\x01\x01\x0a" + raw + b"\x05greet\x01\x0a" + raw)


def test_opaque_references_are_refused():
    with pytest.raises(CandidError, match=r"principal at byte 7: flag 0x00; only transparent"):
        decode(blob("00 01 68 00"))


def test_recursive_type_decodes():
    did = parse_did("type List = opt record { head : nat; tail : List };")
    lst = did.lookup("List")
    value = [{"head": 1, "tail": [{"head": 2, "tail": None}]}]
    assert decode(encode([lst], [value]), [lst]) == [value]


# ---- bad input, one class per test, each with its message ----

def test_bad_magic():
    with pytest.raises(CandidError, match=r"expected magic bytes 4449444c \(DIDL\) at byte 0, found 4441444c"):
        decode(b"DADL\x00\x00")


def test_overlong_leb128_refused():
    # a count field may take at most 10 bytes (enough for 64 bits); 11 is refused
    with pytest.raises(CandidLimitError, match=r"type table length at byte 4: LEB128 number longer than 10 bytes"):
        decode(b"DIDL" + b"\x80" * 11 + b"\x00")
    with pytest.raises(CandidLimitError, match=r"nat at byte 7: LEB128 number longer than 16 bytes"):
        decode(blob("00 01 7d") + b"\xff" * 20 + b"\x01", limits=Limits(max_nat_bytes=16))


def test_field_id_beyond_u32_refused():
    with pytest.raises(CandidError, match=r"record field id 5000000000 at byte 7 is larger than 2\*\*32-1"):
        decode(blob("01 6c 01 80 e4 97 d0 12 7c 01 00 2a"))


@pytest.mark.parametrize("hexstr, message", [
    ("00 01 71 ff ff ff ff 0f", r"text at byte 7 declares 4294967295 bytes, but only 0 remain"),
    ("00 01 71 80 80 80 80 80 80 80 80 01", r"text at byte 7 declares 72057594037927936 bytes"),
    ("01 6d 7c 01 00 ff ff ff ff 0f", r"vec at byte 9 declares 4294967295 elements, but only 0 bytes remain"),
    ("01 6d 7b 01 00 ff ff ff ff 0f", r"blob at byte 9 declares 4294967295 bytes, but only 0 remain"),
    ("01 6d 78 01 00 ff ff 03", r"vec at byte 9 declares 65535 elements of 8 bytes, but only 0 bytes remain"),
    ("ff ff ff ff 0f", r"type table length 4294967295 at byte 4 exceeds the 0 bytes left"),
    ("00 ff ff ff 0f", r"argument count 33554431 exceeds the 0 bytes left"),
])
def test_huge_declared_lengths_refused_without_allocating(hexstr, message):
    with pytest.raises(CandidError, match=message):
        decode(blob(hexstr))


@pytest.mark.parametrize("elem", ["7f", "70", "02"])
def test_space_bomb_of_zero_sized_elements_refused(elem):
    # vec null / vec reserved / vec record {} with 2**62 elements: no bytes, bounded work
    table = "01 6d 7f" if elem == "7f" else "01 6d 70" if elem == "70" else "02 6d 01 6c 00"
    data = blob(f"{table} 01 00 80 80 80 80 80 80 80 80 40")
    with pytest.raises(CandidLimitError, match=r"vec at byte \d+ with 4611686018427387904 elements"
                                               r" exceeds the decoding work limit of 4000000"):
        decode(data)
    with pytest.raises(CandidLimitError, match="work limit"):
        decode(data, [RESERVED])  # skipping is charged too


def test_work_limit_is_cumulative_across_vectors():
    data = encode([Vec(NULL), Vec(NULL)], [[None] * 600, [None] * 600])
    assert len(decode(data)[1]) == 600
    with pytest.raises(CandidLimitError, match=r"vec at byte 12 with 600 elements exceeds the decoding work limit of 1000"):
        decode(data, limits=Limits(max_work=1000))


def test_self_referential_types_refused():
    # record { 0 : itself } has no values; opt of itself is fine but a bare reference is not
    with pytest.raises(CandidError, match=r"type record \{ t0 \} has no values"):
        decode(blob("01 6c 01 00 00 01 00"))
    with pytest.raises(CandidError, match=r"type table entry 0 at byte 5 is a bare reference to entry 0"):
        decode(blob("01 00 00"))
    with pytest.raises(CandidError, match=r"variant \{ 0 : t0 \} has no values"):
        decode(blob("01 6b 01 00 00 01 00 00 00 00"))


def test_deep_recursion_limited():
    # opt opt opt ... 10_000 levels of a recursive opt type
    data = blob("01 6e 00 01 00") + b"\x01" * 10_000 + b"\x00"
    with pytest.raises(CandidLimitError, match=r"values of recursive type opt t0 nested deeper than 150 levels"):
        decode(data)
    shallow = blob("01 6e 00 01 00") + b"\x01" * 100 + b"\x00"
    assert decode(shallow) is not None


def test_deep_type_table_refused_cleanly():
    n = 5000  # entry i = opt (i + 1), the last = opt null: a non-recursive chain 5000 deep
    from ic.candid.leb128 import encode_sleb, encode_uleb
    table = b"".join(b"\x6e" + encode_sleb(i + 1) for i in range(n - 1)) + b"\x6e\x7f"
    data = b"DIDL" + encode_uleb(n) + table + b"\x01\x00" + b"\x01" * (n - 1) + b"\x00"
    with pytest.raises(CandidError, match="nested too deeply"):
        decode(data)
    with pytest.raises(CandidLimitError, match="type table has 5000 entries; the limit is 100"):
        decode(data, limits=Limits(max_types=100))


@pytest.mark.parametrize("payload, message", [
    ("03 e2 28 a1", r"text at byte 8: invalid UTF-8 \(invalid continuation byte\)"),
    ("02 e2 98", r"text at byte 8: invalid UTF-8 \(unexpected end of data\)"),
    ("03 ed a0 80", r"text at byte 8: invalid UTF-8"),  # an encoded surrogate
])
def test_invalid_utf8_refused(payload, message):
    with pytest.raises(CandidError, match=message):
        decode(blob("00 01 71 " + payload))
    with pytest.raises(CandidError, match=message):
        decode(blob("00 01 71 " + payload), [RESERVED])  # also when skipped


@pytest.mark.parametrize("hexstr", ["00 01 78 00 00", "00 01 7d 80", "00 01 7e", "01 6e 7c 01 00 01",
                                    "00 01 68 01 05 00"])
def test_truncated_input_refused(hexstr):
    with pytest.raises(CandidError, match=r"truncated|input ends|declares"):
        decode(blob(hexstr))


def test_trailing_bytes_refused():
    with pytest.raises(CandidError, match=r"2 unexpected trailing byte\(s\) after the last value, at byte 8"):
        decode(blob("00 01 7e 01 00 00"))


def test_bad_flags_and_indices():
    with pytest.raises(CandidError, match=r"bool at byte 7 is 0x02"):
        decode(blob("00 01 7e 02"))
    with pytest.raises(CandidError, match=r"opt at byte 9 has flag 0x02, expected 0x00 or 0x01"):
        decode(blob("01 6e 7c 01 00 02"))
    with pytest.raises(CandidError, match=r"variant index 3 at byte 11 is out of range: the type has 1 tags"):
        decode(blob("01 6b 01 00 7f 01 00 03"))


def test_random_input_raises_only_candid_error():
    import random
    rng = random.Random(1)
    seeds = [encode([parse_type("record { a : vec opt text; b : variant { x : int; y } }")],
                    [{"a": [["hi"], None], "b": {"x": -5}}])]
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            decode(bytes(data))
        except CandidError:
            pass


def test_memoryview_and_bytearray_input():
    data = encode([BOOL], [True])
    assert decode(memoryview(data)) == decode(bytearray(data)) == [True]


def test_blob_decodes_to_bytes_and_vec_nat8_ints_encode():
    t = Vec(NAT8)
    assert decode(encode([t], [[1, 2, 255]]), [t]) == [b"\x01\x02\xff"]


def test_record_and_variant_types_from_helpers():
    t = Record((make_field("x", NAT),))
    v = Variant((make_field("ok", t), make_field("err", TEXT)))
    assert decode(encode([v], [{"ok": {"x": 1}}]), [v]) == [{"ok": {"x": 1}}]


def test_type_pairs_compiled_per_message_are_bounded(monkeypatch):
    from ic.candid import decoders
    monkeypatch.setattr(decoders, "MAX_COMPILED", 3)
    t = parse_type("record { a : opt nat; b : vec text; c : variant { x : record { nat } } }")
    data = encode([t], [{"a": None, "b": [], "c": {"x": (1,)}}])
    with pytest.raises(CandidLimitError, match=r"too complex to decode at the expected types \(more than 3"):
        decode(data, [t])


def test_large_headers_are_not_cached():
    import sys
    decode_module = sys.modules["ic.candid.decode"]
    fields = "; ".join(f"f{i} : record {{ nat; text; opt nat }}" for i in range(400))
    t = parse_type(f"record {{ {fields} }}")
    value = {f"f{i}": (i, "x", None) for i in range(400)}
    data = encode([t], [value])
    from ic.candid.typetable import read_header
    assert read_header(data, 10_000).end > 4096
    assert decode(data, [t]) == [value]
    assert not any(len(k) > 4096 for k in decode_module._HEADERS)


def test_principals_become_ic_principal_objects_when_that_module_exists(monkeypatch):
    import sys
    import types as pytypes

    from ic.candid import values

    class Principal:
        def __init__(self, raw):
            self.raw = raw

        @classmethod
        def from_bytes(cls, raw):
            if len(raw) > 29:
                raise ValueError("longer than 29 bytes")
            return cls(raw)

        def __eq__(self, other):
            return isinstance(other, Principal) and other.raw == self.raw

    module = pytypes.ModuleType("ic.principal")
    module.Principal = Principal
    monkeypatch.setitem(sys.modules, "ic.principal", module)
    monkeypatch.setattr(values, "_PRINCIPAL_CLASS", [])
    data = encode([PRINCIPAL], [Principal(b"\x04")])  # encode reads .raw
    assert decode(data) == [Principal(b"\x04")]
    with pytest.raises(CandidError, match="bad principal bytes 0000.*longer than 29 bytes"):
        decode(encode([PRINCIPAL], [bytes(30)]))


def test_references_decode_only_at_a_supertype_interface():
    raw = b"\x01"
    wire = parse_type("func (text) -> (nat) query")
    data = encode([wire], [FuncRef(raw, "m")])
    assert decode(data, [parse_type("func (text, opt nat) -> () query")]) == [FuncRef(make_principal(raw), "m")]
    with pytest.raises(CandidTypeMismatch, match=r"func \(text\) -> \(nat\) query cannot be decoded at type func \(text\) -> \(nat\)$"):
        decode(data, [parse_type("func (text) -> (nat)")])
    assert decode(data, [Opt(parse_type("func (nat) -> (nat) query"))]) == [None]
    svc = encode([parse_type("service { m : (nat) -> () }")], [raw])
    assert decode(svc, [PRINCIPAL]) == [make_principal(raw)]
    assert decode(svc, [parse_type("service {}")]) == [make_principal(raw)]
    assert decode(svc, [Opt(parse_type("service { n : () -> () }"))]) == [None]


def test_concurrent_decoding_with_cache_eviction(monkeypatch):
    import sys
    import threading

    monkeypatch.setattr(sys.modules["ic.candid.decode"], "_CACHE_SIZE", 2)
    cases = [(parse_type(f"record {{ f{i} : nat; g : vec text }}"), {f"f{i}": i, "g": ["x"] * i})
             for i in range(6)]
    messages = [(t, v, encode([t], [v])) for t, v in cases]
    errors = []

    def work(k):
        try:
            for n in range(300):
                t, v, data = messages[(k + n) % len(messages)]
                assert decode(data, [t]) == [v]
        except Exception as e:  # noqa: BLE001 (collected and asserted below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
