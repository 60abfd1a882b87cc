"""Binary encoding (spec `Candid.md`, "Serialisation": `M` for values, `T`/`I` via the header).

Each type gets an encoder closure `e(value, out: bytearray)` compiled once and cached, and each list
of argument types gets its header (magic, type table, argument types) built once. Python values
follow the mapping in the package docstring; bad values raise `CandidError` naming the path
(`arg 0 .delegation .pubkey`), the expected type and what was found.
"""

from __future__ import annotations

import struct

from .errors import CandidError
from .leb128 import encode_sleb, encode_uleb
from .typetable import build_header
from .types import NAT8, Func, Opt, Prim, Record, Service, Type, Variant, Vec, is_nullish, resolve
from .values import principal_bytes


class _PathError(CandidError):
    def __init__(self, path: str, message: str) -> None:
        self.path, self.bare = path, message
        super().__init__(f"at {path}: {message}" if path else message)


def _wrong(what: str, v: object) -> CandidError:
    shown = repr(v)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return _PathError("", f"expected {what}, found {type(v).__name__} {shown}")


def _at(step: str, err: CandidError) -> CandidError:
    if isinstance(err, _PathError):
        return _PathError(f"{step} {err.path}".strip(), err.bare)
    return _PathError(step, str(err))


def _e_null(v, out):
    if v is not None:
        raise _wrong("null (None)", v)


def _e_reserved(v, out):
    pass


def _e_empty(v, out):
    raise _wrong("nothing (type empty has no values)", v)


def _e_bool(v, out):
    if v is True:
        out.append(1)
    elif v is False:
        out.append(0)
    else:
        raise _wrong("bool", v)


def _e_nat(v, out):
    if v.__class__ is not int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise _wrong("nat (int >= 0)", v)
    if 0 <= v < 0x80:
        out.append(v)
    elif v < 0:
        raise _wrong("nat (int >= 0)", v)
    else:
        out += encode_uleb(v)


def _e_int(v, out):
    if v.__class__ is not int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise _wrong("int", v)
    out += encode_sleb(v)


def _e_fixed(fmt: str, lo: int, hi: int, name: str):
    pack = struct.Struct(fmt).pack

    def e(v, out):
        if v.__class__ is not int or not lo <= v <= hi:
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise _wrong(f"{name} ({lo}..{hi})", v)
        out += pack(v)
    return e


def _e_float(fmt: str, name: str):
    pack = struct.Struct(fmt).pack

    def e(v, out):
        if v.__class__ is not float and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise _wrong(name, v)
        try:
            out += pack(v)
        except OverflowError:
            raise _wrong(f"{name} in range", v) from None
    return e


def _e_text(v, out):
    if v.__class__ is not str:
        raise _wrong("text (str)", v)
    try:
        raw = v.encode()
    except UnicodeEncodeError:
        raise _wrong("text without lone surrogates", v) from None
    n = len(raw)
    if n < 0x80:
        out.append(n)
    else:
        out += encode_uleb(n)
    out += raw


def _e_principal(v, out):
    raw = principal_bytes(v)
    out.append(1)
    out += encode_uleb(len(raw))
    out += raw


def _e_func(v, out):
    if not isinstance(v, tuple) or len(v) != 2 or not isinstance(v[1], str):
        raise _wrong("func reference (principal, method name)", v)
    out.append(1)
    _e_principal(v[0], out)
    _e_text(v[1], out)


def _e_blob(v, out):
    if v.__class__ is not bytes and not isinstance(v, (bytes, bytearray, memoryview)):
        if not isinstance(v, (list, tuple)):
            raise _wrong("blob (bytes)", v)
        try:
            v = bytes(v)
        except (ValueError, TypeError):
            raise _wrong("blob (bytes or list of 0..255)", v) from None
    n = len(v)
    if n < 0x80:
        out.append(n)
    else:
        out += encode_uleb(n)
    out += v


_PRIM = {
    -1: _e_null, -2: _e_bool, -3: _e_nat, -4: _e_int,
    -5: _e_fixed("<B", 0, 2**8 - 1, "nat8"), -6: _e_fixed("<H", 0, 2**16 - 1, "nat16"),
    -7: _e_fixed("<I", 0, 2**32 - 1, "nat32"), -8: _e_fixed("<Q", 0, 2**64 - 1, "nat64"),
    -9: _e_fixed("<b", -2**7, 2**7 - 1, "int8"), -10: _e_fixed("<h", -2**15, 2**15 - 1, "int16"),
    -11: _e_fixed("<i", -2**31, 2**31 - 1, "int32"),
    -12: _e_fixed("<q", -2**63, 2**63 - 1, "int64"),
    -13: _e_float("<f", "float32"), -14: _e_float("<d", "float64"),
    -15: _e_text, -16: _e_reserved, -17: _e_empty, -24: _e_principal,
}


def _e_opt(inner):
    def e(v, out):
        if v is None:
            out.append(0)
            return
        if v.__class__ is not list and not isinstance(v, (list, tuple)) or len(v) > 1:
            raise _wrong("opt value (None or a one-element list)", v)
        if not v:
            out.append(0)
            return
        out.append(1)
        try:
            inner(v[0], out)
        except CandidError as err:
            raise _at("opt", err) from None
    return e


def _e_vec(elem):
    def e(v, out):
        if v.__class__ is not list and (not isinstance(v, (list, tuple))):
            raise _wrong("vec (list)", v)
        n = len(v)
        if n < 0x80:
            out.append(n)
        else:
            out += encode_uleb(n)
        i = 0
        try:
            for i, x in enumerate(v):
                elem(x, out)
        except CandidError as err:
            raise _at(f"[{i}]", err) from None
    return e


def _e_record(fields, optional, names, is_tuple: bool):
    count = len(fields)

    def e(v, out):
        if v.__class__ is dict:
            found = 0
            for key, alt, enc in fields:
                try:
                    x = v[key]
                    found += 1
                except KeyError:
                    if alt in v:
                        x = v[alt]
                        found += 1
                    elif key in optional:
                        x = None
                    else:
                        raise _PathError(f".{key}", "missing record field") from None
                try:
                    enc(x, out)
                except CandidError as err:
                    raise _at(f".{key}", err) from None
            if found != len(v):
                extra = [k for k in v if k not in names]
                if not extra:
                    raise _PathError("", "a field is given twice, by name and by id")
                raise _PathError("", f"unknown record field(s) {extra!r}")
        elif is_tuple and isinstance(v, (tuple, list)):
            if len(v) != count:
                raise _wrong(f"tuple of {count} values", v)
            for i, (x, (_, _, enc)) in enumerate(zip(v, fields)):
                try:
                    enc(x, out)
                except CandidError as err:
                    raise _at(f".{i}", err) from None
        else:
            raise _wrong("record (dict)" + (" or tuple" if is_tuple else ""), v)
    return e


def _e_variant(arms, null_arms):
    def e(v, out):
        if v.__class__ is str and v in null_arms:
            out += arms[v][0]
            return
        if v.__class__ is not dict or len(v) != 1:
            raise _wrong("variant (dict with exactly one key)", v)
        for key, x in v.items():
            arm = arms.get(key)
            if arm is None:
                raise _PathError("", f"unknown variant tag {key!r}; expected one of {list(arms)}")
            out += arm[0]
            if x is None and key in null_arms:
                return
            try:
                arm[1](x, out)
            except CandidError as err:
                raise _at(f".{key}", err) from None
    return e


class _Encoders:
    def __init__(self) -> None:
        self.memo: dict[int, tuple[Type, object]] = {}

    def encoder(self, t: Type):
        t = resolve(t)
        hit = self.memo.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        cls = t.__class__
        if cls is Prim:
            enc = _PRIM[t.opcode]  # type: ignore[attr-defined]
            self.memo[id(t)] = (t, enc)
            return enc
        cell: list = [None]

        def knot(v, out):
            cell[0](v, out)
        self.memo[id(t)] = (t, knot)
        try:
            cell[0] = real = self._build(t)
        except BaseException:
            del self.memo[id(t)]
            raise
        self.memo[id(t)] = (t, real)
        return real

    def _build(self, t: Type):
        cls = t.__class__
        if cls is Opt:
            return _e_opt(self.encoder(t.inner))  # type: ignore[attr-defined]
        if cls is Vec:
            if resolve(t.inner) is NAT8:  # type: ignore[attr-defined]
                return _e_blob
            return _e_vec(self.encoder(t.inner))  # type: ignore[attr-defined]
        if cls is Record:
            fields = [(f.key, f.id if f.name is not None else f.key, self.encoder(f.type))
                      for f in t.fields]  # type: ignore[attr-defined]
            optional = {f.key for f in t.fields if is_nullish(f.type)}  # type: ignore[attr-defined]
            names = {f.key for f in t.fields} | {f.id for f in t.fields}  # type: ignore
            return _e_record(fields, optional, names, t.is_tuple)  # type: ignore[attr-defined]
        if cls is Variant:
            arms = {}
            null_arms = set()
            for i, f in enumerate(t.fields):  # type: ignore[attr-defined]
                entry = (encode_uleb(i), self.encoder(f.type))
                arms[f.key] = entry
                if f.name is not None:
                    arms.setdefault(f.id, entry)
                if resolve(f.type).__class__ is Prim and resolve(f.type).opcode == -1:
                    null_arms.add(f.key)
            return _e_variant(arms, null_arms)
        if cls is Func:
            return _e_func
        if cls is Service:
            return _e_principal
        raise CandidError(f"cannot encode a value of type {t}")


_ENCODERS = _Encoders()
_HEADERS: dict[tuple[int, ...], tuple[tuple[Type, ...], bytes, tuple]] = {}


def encode(types: list[Type] | tuple[Type, ...], values: list | tuple) -> bytes:
    """Encode `values` as a Candid message whose argument types are `types`."""
    key = tuple(map(id, types))
    hit = _HEADERS.get(key)
    if hit is None or not all(a is b for a, b in zip(hit[0], types)):
        if len(_ENCODERS.memo) > 4096:
            _ENCODERS.memo.clear()
        if len(_HEADERS) > 256:
            _HEADERS.clear()
        hit = (tuple(types), build_header(types), tuple(_ENCODERS.encoder(t) for t in types))
        _HEADERS[key] = hit
    _, header, encs = hit
    if len(values) != len(encs):
        raise CandidError(f"{len(values)} value(s) given for {len(encs)} argument type(s)")
    out = bytearray(header)
    for i, (enc, v) in enumerate(zip(encs, values)):
        try:
            enc(v, out)
        except CandidError as err:
            path = f" {err.path}" if isinstance(err, _PathError) and err.path else ""
            bare = err.bare if isinstance(err, _PathError) else str(err)
            raise CandidError(f"argument {i}{path}: {bare}") from None
        except RecursionError:
            raise CandidError(f"argument {i}: value nested too deeply to encode") from None
    return bytes(out)
