"""parse_module: the canister module format, metadata sections, gzip, the engine's rewrite."""

from __future__ import annotations

import gzip

import pytest

from replica.wasm import InvalidModule, parse_module, wasm_engine
from tests.unit.wasm.conftest import wat


def custom(name: str, content: bytes) -> bytes:
    raw = name.encode()
    body = bytes([len(raw)]) + raw + content
    return bytes([0, len(body)]) + body


BASE = wat('(module (memory 1) (global (mut i64) (i64.const 7)) (func $s) (start $s) (func (export "canister_query q")))')


def test_metadata_sections_are_kept_and_gzip_is_accepted():
    data = BASE + custom("icp:public candid:service", b"service : {}") + custom("icp:private secret", b"x")
    module, _ = parse_module(gzip.compress(data), wasm_engine())
    assert module.public_metadata == {"candid:service": b"service : {}"}
    assert module.private_metadata == {"secret": b"x"}
    assert module.wasm == data and not module.is_64 and module.has_start and module.mutable_globals == (0,)
    assert not module.enhanced_orthogonal_persistence


@pytest.mark.parametrize("sections,expected", [
    ([("icp:public a", b""), ("icp:private a", b"")], "more than one custom section"),
    ([("icp:other a", b"")], "is not allowed"),
])
def test_bad_metadata_sections(sections, expected):
    data = BASE + b"".join(custom(n, c) for n, c in sections)
    with pytest.raises(InvalidModule, match=expected):
        parse_module(data, wasm_engine())


def test_size_limit():
    with pytest.raises(InvalidModule, match="over the limit"):
        parse_module(BASE + custom("pad", bytes(100)), wasm_engine(), max_bytes=len(BASE) + 10)
    with pytest.raises(InvalidModule, match="larger than the limit"):
        parse_module(gzip.compress(BASE + custom("pad", bytes(100))), wasm_engine(), max_bytes=len(BASE) + 10)


def test_duplicate_method_names_are_refused():
    data = wat('(module (func (export "canister_query m")) (func (export "canister_update m")))')
    with pytest.raises(InvalidModule, match="more than once"):
        parse_module(data, wasm_engine())
