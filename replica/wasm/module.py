"""A canister module, parsed and checked once at install (interface spec "Canister module format",
"WebAssembly module requirements").

`parse_module` accepts raw or gzip-compressed Wasm and returns a `CanisterModule`, or raises
`InvalidModule` naming the first rule broken: malformed Wasm (wasmtime's own validator), an import
the engine does not provide (named, with its expected signature), an entry point of the wrong
type, an export or custom section the spec reserves, or a size limit.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from dataclasses import dataclass, field
from enum import Enum

import wasmtime

from replica.wasm.compile_cache import compile_module
from replica.wasm import sections as wasm
from replica.wasm.api_table import available
from replica.wasm.traps import InvalidModule

MAX_MODULE_BYTES = 100 * 1024 * 1024  # the IC's limit on a (decompressed) canister module
MAX_FUNCTIONS = 50_000
MAX_GLOBALS = 1_000
MAX_METHODS = 1_000
MAX_METHOD_NAME_BYTES = 20_000
MAX_CUSTOM_SECTIONS = 16
MAX_CUSTOM_SECTION_BYTES = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b\x08"
EOP_SECTION = "enhanced-orthogonal-persistence"
SYSTEM_EXPORTS = ("canister_init", "canister_inspect_message", "canister_heartbeat", "canister_global_timer",
                  "canister_pre_upgrade", "canister_post_upgrade", "canister_on_low_wasm_memory")


class MethodKind(str, Enum):
    UPDATE = "canister_update"
    QUERY = "canister_query"
    COMPOSITE_QUERY = "canister_composite_query"


@dataclass(frozen=True)
class CanisterModule:
    wasm: bytes  # the module as installed (decompressed), what module_hash covers
    code: bytes = field(repr=False)  # the module the engine runs: `wasm` plus the engine's exports
    is_64: bool  # 64-bit memory: the System API takes i64 addresses
    has_memory: bool
    methods: dict[str, MethodKind]
    system_exports: frozenset[str]
    public_metadata: dict[str, bytes]
    private_metadata: dict[str, bytes]
    mutable_globals: tuple[int, ...]
    has_start: bool
    active_data: tuple[tuple[int, bytes], ...] | None = field(default=None, repr=False)  # None: not re-appliable
    has_table: bool = False  # table 0 exists: call_new's callbacks are its entries

    @functools.cached_property
    def module_hash(self) -> bytes:
        return hashlib.sha256(self.wasm).digest()

    @property
    def enhanced_orthogonal_persistence(self) -> bool:
        """Motoko's enhanced orthogonal persistence: upgrades must keep main memory."""
        return EOP_SECTION in self.private_metadata or EOP_SECTION in self.public_metadata

    def exports(self, name: str) -> bool:
        return name in self.system_exports


def decompress(data: bytes, limit: int = MAX_MODULE_BYTES) -> bytes:
    if not data.startswith(GZIP_MAGIC):
        return data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidModule(f"the gzip-compressed module cannot be decompressed: {exc}") from None
    if len(out) > limit:
        raise InvalidModule(f"the decompressed module is larger than the limit of {limit} bytes")
    if not inflater.eof:
        raise InvalidModule("the gzip-compressed module is truncated")
    return out


def parse_module(data: bytes, engine: wasmtime.Engine, *, max_bytes: int = MAX_MODULE_BYTES) -> tuple[CanisterModule, wasmtime.Module]:
    """Check `data` against the canister module rules; return it with its compiled engine module."""
    if len(data) > max_bytes and not data.startswith(GZIP_MAGIC):
        raise InvalidModule(f"the module is {len(data)} bytes, over the limit of {max_bytes} bytes")
    raw = decompress(bytes(data), max_bytes)
    found = wasm.read_sections(raw)
    try:
        compiled = compile_module(engine, raw)
    except wasmtime.WasmtimeError as exc:
        raise InvalidModule(f"malformed WebAssembly: {_first_line(exc)}") from None
    memories, is_64 = wasm.read_memory(raw, found)
    _check_imports(compiled, is_64)
    methods, system = _check_exports(compiled)
    public, private = _check_custom_sections(wasm.read_custom_sections(raw, found))
    global_count, mutable = wasm.read_mutable_globals(raw, found)
    if global_count > MAX_GLOBALS:
        raise InvalidModule(f"the module declares {global_count} globals, more than the limit of {MAX_GLOBALS}")
    functions = sum(1 for e in compiled.exports if isinstance(e.type, wasmtime.FuncType))
    if functions > MAX_FUNCTIONS:
        raise InvalidModule(f"the module exports {functions} functions, more than the limit of {MAX_FUNCTIONS}")
    start = wasm.read_start(raw, found)
    active = wasm.read_active_data(raw, found)
    tables = wasm.read_table_count(raw, found)
    code = wasm.export_for_engine(raw, found, memory=memories > 0, mutable=mutable, start=start, table=tables > 0)
    module = CanisterModule(raw, code, is_64, memories > 0, methods, frozenset(system), public, private,
                            tuple(mutable), start is not None, None if active is None else tuple(active),
                            has_table=tables > 0)
    if code is not raw:
        try:
            compiled = compile_module(engine, code)
        except wasmtime.WasmtimeError as exc:  # our own rewrite broke it: say so, never run it
            raise InvalidModule(f"the engine could not prepare the module: {_first_line(exc)}") from None
    return module, compiled


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(exc).__name__


def _check_imports(compiled: wasmtime.Module, is_64: bool) -> None:
    api = available(is_64)
    width = "64-bit" if is_64 else "32-bit"
    for imp in compiled.imports:
        where = f"{imp.module}.{imp.name}"
        if imp.module != "ic0":
            raise InvalidModule(f"the module imports {where}: a canister may import only from the module ic0")
        if not isinstance(imp.type, wasmtime.FuncType):
            raise InvalidModule(f"the module imports {where}, which is not a function: a canister imports only ic0 functions")
        function = api.get(imp.name or "")
        if function is None:
            raise InvalidModule(f"the module imports the function ic0.{imp.name}, which this replica does not provide"
                                f" (for a module with {width} memory)")
        params = tuple(str(p) for p in imp.type.params)
        results = tuple(str(r) for r in imp.type.results)
        expected = function.signature(is_64)
        if (params, results) != expected:
            raise InvalidModule(f"the module imports ic0.{imp.name} with type {_sig(params, results)};"
                                f" for a module with {width} memory it is {_sig(*expected)}")


def _sig(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _check_exports(compiled: wasmtime.Module) -> tuple[dict[str, MethodKind], set[str]]:
    methods: dict[str, MethodKind] = {}
    system: set[str] = set()
    name_bytes = 0
    for export in compiled.exports:
        name = export.name
        if name.startswith(wasm.GLOBAL_EXPORT_PREFIX) or name in (wasm.MEMORY_EXPORT, wasm.START_EXPORT, wasm.TABLE_EXPORT):
            raise InvalidModule(f"the module exports {name!r}, a name this replica reserves")
        if not name.startswith("canister_"):
            continue
        if not isinstance(export.type, wasmtime.FuncType) or list(export.type.params) or list(export.type.results):
            raise InvalidModule(f"the export {name!r} must be a function of type () -> ()")
        if name in SYSTEM_EXPORTS:
            system.add(name)
            continue
        kind_text, _, method = name.partition(" ")
        try:
            kind = MethodKind(kind_text)
        except ValueError:
            raise InvalidModule(f"the module exports {name!r}: names starting with canister_ are reserved for the"
                                " entry points of the interface spec") from None
        if method in methods:
            raise InvalidModule(f"the module exports the method {method!r} more than once"
                                f" (as {methods[method].value} and {kind.value})")
        methods[method] = kind
        name_bytes += len(method.encode())
    if len(methods) > MAX_METHODS:
        raise InvalidModule(f"the module exports {len(methods)} methods, more than the limit of {MAX_METHODS}")
    if name_bytes > MAX_METHOD_NAME_BYTES:
        raise InvalidModule(f"the module's method names take {name_bytes} bytes, more than the limit of {MAX_METHOD_NAME_BYTES}")
    return methods, system


def _check_custom_sections(found: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    public: dict[str, bytes] = {}
    private: dict[str, bytes] = {}
    total = 0
    for name, content in found:
        if not name.startswith("icp:"):
            continue
        visibility, _, key = name.partition(" ")
        target = {"icp:public": public, "icp:private": private}.get(visibility)
        if target is None or not key:
            raise InvalidModule(f"the custom section {name!r} is not allowed: only 'icp:public <name>' and"
                                " 'icp:private <name>' may start with icp:")
        if key in public or key in private:
            raise InvalidModule(f"the module has more than one custom section for the metadata {key!r}")
        target[key] = content
        total += len(key.encode()) + len(content)
    if len(public) + len(private) > MAX_CUSTOM_SECTIONS:
        raise InvalidModule(f"the module has {len(public) + len(private)} icp: custom sections, more than the limit of"
                            f" {MAX_CUSTOM_SECTIONS}")
    if total > MAX_CUSTOM_SECTION_BYTES:
        raise InvalidModule(f"the module's icp: custom sections take {total} bytes, more than the limit of"
                            f" {MAX_CUSTOM_SECTION_BYTES}")
    return public, private
