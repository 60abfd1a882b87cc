"""Candid in pure Python: types, `.did` files, the binary codec and the textual value syntax.

Implements the Candid specification (dfinity/candid `spec/Candid.md`): the type grammar and
`.did` files (`did_parser`), the binary format with decoding at an expected supertype and all
its coercion rules (`typetable`, `decode`, `skip`, `encode`), the textual values (`text`) and a
runner for the official conformance tests (`python -m ic.candid.testsuite FILE...`).

Verbs::

    encode(types, values) -> bytes
    decode(data, types=None, *, limits=DEFAULT_LIMITS) -> list
    parse_did(text) -> DidFile          # .types, .refs, .service, .init_args, .lookup(name)
    parse_type(text, env=None) -> Type  # "vec record { nat; text }"
    parse_types(text, env=None) -> tuple[Type, ...]   # "(nat, opt text)"
    parse_value_text(text, types=None, env=None) -> list   # env: a DidFile naming types
    format_value(values, types) -> str
    is_subtype(a, b) -> bool

Types are immutable (`types.py`); `==` is structural and works on recursive types, `str(t)` is
canonical Candid text (named references print as their names).

Python value mapping (decoding produces exactly these; encoding accepts them, plus the
conveniences noted in brackets):

============================  ==============================================================
Candid                        Python
============================  ==============================================================
null, reserved                ``None`` [encode: reserved accepts anything]
bool                          ``bool``
nat, int, nat8..nat64,        ``int`` (range-checked on encode; ``bool`` is refused)
int8..int64
float32, float64              ``float`` [encode: ``int`` too]
text                          ``str``
blob / vec nat8               ``bytes`` [encode: bytearray, memoryview, list of ints]
vec T                         ``list`` [encode: tuple too]
opt T                         ``None`` when absent, ``[v]`` (a one-element list) when present,
                              so ``opt opt null`` values are ``None``, ``[None]``, ``[[None]]``
                              [encode: ``[]`` and ``()`` also mean absent, ``(v,)`` present]
record {a : T; ...}           ``dict`` keyed by field name; a field known only by number (or
                              only by hash, when decoding at the wire's own types) by ``int``
                              [encode: either key; absent opt/null/reserved fields are null]
record {T0; T1; ...}          ``tuple`` (a record whose fields are exactly 0..n-1, unnamed)
                              [encode: list, or dict with int keys]
variant {a : T; ...}          ``{name: value}``, one key [encode: a bare ``"name"`` for a
                              tag of type null]
principal, service            ``ic.principal.Principal`` when that module imports, else
                              ``bytes`` [encode: bytes, objects with ``raw``, ``to_bytes()`` or
                              ``__bytes__``, or the text form "aaaaa-aa"]
func                          ``FuncRef(service, method)`` (a NamedTuple)
============================  ==============================================================

Errors are `ic.errors.CandidError` (a `ValueError`) or its subclasses in `errors.py`; messages
name the byte offset or field path, the expected type and what was found. Decoding untrusted
bytes is bounded by `Limits` (defaults: 4,000,000 units of vector work, 150 levels of recursion
through recursive types, 1024-byte nat/int, 10,000 type-table entries).
"""

from .decode import DEFAULT_LIMITS, Limits, decode
from .did_parser import DidFile, parse_did, parse_type, parse_types
from .encode import encode
from .errors import CandidError, CandidLimitError, CandidSyntaxError, CandidTypeMismatch
from .subtype import is_subtype
from .text import format_value, parse_value_text
from .types import (BOOL, EMPTY, FLOAT32, FLOAT64, INT, INT8, INT16, INT32, INT64, NAT, NAT8,
                    NAT16, NAT32, NAT64, NULL, PRINCIPAL, RESERVED, TEXT, Field, Func, Opt, Prim,
                    Record, Ref, Service, Type, Variant, Vec, format_type, idl_hash, make_field,
                    resolve)
from .values import FuncRef

__all__ = [
    "encode", "decode", "parse_did", "parse_type", "parse_types", "parse_value_text",
    "format_value", "format_type", "is_subtype", "idl_hash", "make_field", "resolve",
    "DidFile", "Limits", "DEFAULT_LIMITS", "FuncRef",
    "Type", "Prim", "Opt", "Vec", "Record", "Variant", "Func", "Service", "Ref", "Field",
    "NULL", "BOOL", "NAT", "INT", "NAT8", "NAT16", "NAT32", "NAT64", "INT8", "INT16", "INT32",
    "INT64", "FLOAT32", "FLOAT64", "TEXT", "RESERVED", "EMPTY", "PRINCIPAL",
    "CandidError", "CandidSyntaxError", "CandidTypeMismatch", "CandidLimitError",
]
