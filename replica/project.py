"""A developer's project: the Wasm canisters and built frontends `serve.py` deploys at start
(issue 13 items 1 and 2).

Two spellings, one `Project`: flags and a TOML file (`--project FILE`), which may be combined::

    serve.py --canister backend=target/backend.wasm:'(record { owner = "me" })' --frontend app=dist

    # ii-project.toml                              serve.py --project ii-project.toml
    [canisters.backend]
    wasm = "target/backend.wasm"                   # relative to this file
    init_arg = '(record { owner = "me" })'         # or init_arg_file = "arg.txt"
    controllers = ["2vxsx-fae"]                    # besides the deploy identity (optional)

    [frontends.app]
    dir = "dist"                                   # must hold index.html

Everything is checked here, before the replica opens its database or binds its port: each error is
a `ProjectError` whose one-line message names the flag or the key and how to fix it. The init
argument is encoded to Candid bytes here too: Candid text is parsed at the init types the module
declares (its `candid:args` metadata, with the types of `candid:service`; or the service's own
init arguments), or, for a module without that metadata, at the types the text itself shows
(numbers are `int` unless annotated, e.g. `(42 : nat)`). An argument may also be `hex:<bytes>`, or
the path of a file holding Candid text, hex, or the binary Candid bytes (`DIDL...`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

EMPTY_ARGS = b"DIDL\x00\x00"
MAX_INIT_ARG_BYTES = 2 * 1024 * 1024  # what the IC accepts as an install argument
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
# The name of the II canister in `.env` (CANISTER_ID_INTERNET_IDENTITY): not a project name.
RESERVED_NAMES = frozenset({"internet_identity"})
CANISTER_KEYS = ("wasm", "init_arg", "init_arg_file", "controllers")
FRONTEND_KEYS = ("dir",)
TOP_KEYS = ("canisters", "frontends")
EXAMPLE = "e.g. backend=target/backend.wasm or backend=target/backend.wasm:'(42 : nat)'"


class ProjectError(ValueError):
    """A project that cannot be deployed as written; the message is one line for the developer."""


@dataclass(frozen=True)
class CanisterSpec:
    name: str
    wasm: Path  # absolute
    init_arg: bytes = EMPTY_ARGS  # Candid bytes, passed to init and to post_upgrade
    controllers: tuple[str, ...] = ()  # principal texts, besides the deploy identity
    source: str = ""  # where it was named, for messages: "--canister backend=..." or "FILE [canisters.backend]"

    @property
    def init_arg_hash(self) -> bytes:
        return hashlib.sha256(self.init_arg).digest()


@dataclass(frozen=True)
class FrontendSpec:
    name: str
    dir: Path  # absolute, holds index.html
    source: str = ""


@dataclass(frozen=True)
class Project:
    canisters: tuple[CanisterSpec, ...] = ()
    frontends: tuple[FrontendSpec, ...] = ()
    # Where `.env` is written; `canister_ids.json` goes beside it.
    env_file: Path | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.canisters] + [f.name for f in self.frontends]

    @property
    def ids_file(self) -> Path | None:
        return None if self.env_file is None else self.env_file.with_name("canister_ids.json")


# -- building a project from flags and a file --------------------------------------------------


def build_project(*, canisters: list[str] = (), frontends: list[str] = (), project_file: Path | None = None,
                  env_file: Path | None = None, cwd: Path | None = None) -> Project | None:
    """The project named by `--project FILE`, `--canister` and `--frontend` flags (any mix), or
    None when nothing is named. Relative flag paths are relative to `cwd`, the file's to the file."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    specs: list[CanisterSpec] = []
    fronts: list[FrontendSpec] = []
    if project_file is not None:
        file_canisters, file_frontends = load_project_file(cwd / Path(project_file).expanduser())
        specs.extend(file_canisters)
        fronts.extend(file_frontends)
    specs.extend(parse_canister_flag(flag, cwd) for flag in canisters)
    fronts.extend(parse_frontend_flag(flag, cwd) for flag in frontends)
    _check_names([*specs, *fronts])
    if not specs and not fronts and env_file is None:
        return None
    if env_file is not None:
        env = (cwd / Path(env_file).expanduser()).resolve()
        if env.is_dir():
            raise ProjectError(f"--env-file {env_file}: is a folder; name the file to write, e.g. {Path(env_file) / '.env'}")
    elif project_file is not None:
        env = (cwd / Path(project_file).expanduser()).resolve().parent / ".env"
    else:
        env = cwd.resolve() / ".env"
    return Project(tuple(specs), tuple(fronts), env)


def _check_names(entries: list[CanisterSpec | FrontendSpec]) -> None:
    seen: dict[str, CanisterSpec | FrontendSpec] = {}
    env_names: dict[str, CanisterSpec | FrontendSpec] = {}
    for entry in entries:
        first = seen.get(entry.name)
        if first is not None:
            raise ProjectError(f"{entry.source}: the name {entry.name!r} is used twice (also by {first.source});"
                               " give each canister and frontend its own name")
        seen[entry.name] = entry
        variable = env_name(entry.name)
        clash = env_names.get(variable)
        if clash is not None:
            raise ProjectError(f"{entry.source}: the names {clash.name!r} and {entry.name!r} both become"
                               f" CANISTER_ID_{variable} in .env; rename one")
        env_names[variable] = entry


def env_name(name: str) -> str:
    """dfx's spelling of a canister name in an environment variable."""
    return name.upper().replace("-", "_")


def _check_name(name: str, where: str) -> str:
    if not NAME.fullmatch(name):
        raise ProjectError(f"{where}: {name!r} is not a usable canister name; use letters, digits, '-' and '_'"
                           " (at most 63, starting with a letter or digit)")
    if name.lower() in RESERVED_NAMES:
        raise ProjectError(f"{where}: the name {name!r} is this replica's Internet Identity canister; choose another name")
    return name


def parse_canister_flag(flag: str, cwd: Path) -> CanisterSpec:
    """`NAME=PATH.wasm[:ARG]` of `--canister`."""
    where = f"--canister {flag}"
    name, sep, rest = flag.partition("=")
    if not sep or not name or not rest:
        raise ProjectError(f"{where}: expected NAME=PATH.wasm[:ARG], {EXAMPLE}")
    _check_name(name, where)
    path_text, arg = _split_module_arg(rest, cwd)
    wasm = (cwd / Path(path_text).expanduser()).resolve()
    module = read_module(wasm, where, shown=path_text)
    init = None
    if arg is not None:
        if not arg.strip():
            raise ProjectError(f"{where}: the init argument after ':' is empty; give Candid text, e.g."
                               f" {name}={path_text}:'(42 : nat)', or drop the ':'")
        init = _read_arg_file(cwd / Path(arg).expanduser(), where, shown=arg) if _is_arg_file(arg) else arg
    hint = f"{name}={path_text}:'(...)'"
    return CanisterSpec(name, wasm, encode_init_arg(init, module, where, hint=hint), (), where)


def _split_module_arg(rest: str, cwd: Path) -> tuple[str, str | None]:
    """PATH and ARG of `PATH[:ARG]`: the path ends at `.wasm:` or `.wasm.gz:` when there is one,
    else at the first ':' (unless the whole text names an existing file)."""
    for marker in (".wasm.gz:", ".wasm:"):
        index = rest.find(marker)
        if index >= 0:
            return rest[: index + len(marker) - 1], rest[index + len(marker):]
    if ":" in rest and not (cwd / Path(rest).expanduser()).exists():
        path_text, _, arg = rest.partition(":")
        return path_text, arg
    return rest, None


def _is_arg_file(arg: str) -> bool:
    text = arg.strip()
    return not (text.startswith("(") or text.lower().startswith("hex:"))


def parse_frontend_flag(flag: str, cwd: Path) -> FrontendSpec:
    """`NAME=DIR` of `--frontend`."""
    where = f"--frontend {flag}"
    name, sep, dir_text = flag.partition("=")
    if not sep or not name or not dir_text:
        raise ProjectError(f"{where}: expected NAME=DIR, the folder of a built frontend with its index.html,"
                           " e.g. app=dist")
    _check_name(name, where)
    return FrontendSpec(name, check_frontend_dir((cwd / Path(dir_text).expanduser()).resolve(), where, dir_text), where)


def check_frontend_dir(path: Path, where: str, shown: str) -> Path:
    if not path.exists():
        raise ProjectError(f"{where}: no such folder {shown}; build the frontend first, or fix the path")
    if not path.is_dir():
        raise ProjectError(f"{where}: {shown} is a file, not a folder; name the folder that holds index.html")
    if not (path / "index.html").is_file():
        raise ProjectError(f"{where}: the folder {shown} has no index.html; name the frontend's build output"
                           " (e.g. dist/), which must hold index.html")
    return path


def load_project_file(path: Path) -> tuple[list[CanisterSpec], list[FrontendSpec]]:
    """The canisters and frontends of a project file (TOML)."""
    where = f"--project {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{where}: no such file; fix the path, or write the project file first") from None
    except IsADirectoryError:
        raise ProjectError(f"{where}: is a folder; name the project's TOML file") from None
    except PermissionError:
        raise ProjectError(f"{where}: cannot be read (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{where}: is not UTF-8 text (byte {exc.start}); a project file is TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{where}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ProjectError(f"{where}: cannot be read ({exc.strerror})") from None
    base = path.resolve().parent
    _unknown_keys(data, TOP_KEYS, f"{path}", "at the top level")
    specs = [_file_canister(path, base, name, entry) for name, entry in _table(data, "canisters", path).items()]
    fronts = [_file_frontend(path, base, name, entry) for name, entry in _table(data, "frontends", path).items()]
    return specs, fronts


def _table(data: dict, key: str, path: Path) -> dict:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise ProjectError(f"{path}: '{key}' must be a table of named entries, e.g. [{key}.NAME]")
    return table


def _unknown_keys(entry: dict, known: tuple[str, ...], where: str, what: str) -> None:
    for key in entry:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise ProjectError(f"{where}: unknown key {key!r}{' ' + what if what else ''}; {hint}")


def _file_canister(path: Path, base: Path, name: str, entry) -> CanisterSpec:
    where = f"{path} [canisters.{name}]"
    if not isinstance(entry, dict):
        raise ProjectError(f"{where}: must be a table, e.g. [canisters.{name}] with wasm = \"PATH.wasm\"")
    _check_name(name, where)
    _unknown_keys(entry, CANISTER_KEYS, where, "")
    wasm_text = _string(entry, "wasm", where, required=True)
    wasm = (base / Path(wasm_text).expanduser()).resolve()
    module = read_module(wasm, f"{where} wasm", shown=wasm_text)
    if "init_arg" in entry and "init_arg_file" in entry:
        raise ProjectError(f"{where}: both init_arg and init_arg_file are given; keep one")
    init = _string(entry, "init_arg", where)
    arg_file = _string(entry, "init_arg_file", where)
    if arg_file is not None:
        init = _read_arg_file(base / Path(arg_file).expanduser(), f"{where} init_arg_file", shown=arg_file)
    controllers = entry.get("controllers", [])
    if not isinstance(controllers, list) or not all(isinstance(c, str) for c in controllers):
        raise ProjectError(f"{where} controllers: must be a list of principal texts, e.g. [\"2vxsx-fae\"]")
    arg_where = where if init is None else f"{where} init_arg" if arg_file is None else f"{where} init_arg_file"
    return CanisterSpec(name, wasm, encode_init_arg(init, module, arg_where, hint="init_arg = \"(...)\""),
                        tuple(_principal(c, f"{where} controllers") for c in controllers), where)


def _file_frontend(path: Path, base: Path, name: str, entry) -> FrontendSpec:
    where = f"{path} [frontends.{name}]"
    if not isinstance(entry, dict):
        raise ProjectError(f"{where}: must be a table, e.g. [frontends.{name}] with dir = \"dist\"")
    _check_name(name, where)
    _unknown_keys(entry, FRONTEND_KEYS, where, "")
    dir_text = _string(entry, "dir", where, required=True)
    return FrontendSpec(name, check_frontend_dir((base / Path(dir_text).expanduser()).resolve(), f"{where} dir",
                                                 dir_text), where)


def _string(entry: dict, key: str, where: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ProjectError(f"{where}: the key {key!r} is missing; add {key} = \"...\"")
        return None
    if not isinstance(value, str):
        raise ProjectError(f"{where} {key}: must be a string, not {type(value).__name__}")
    return value


def _principal(text: str, where: str) -> str:
    from ic.errors import PrincipalError
    from ic.principal import Principal

    try:
        return Principal.from_text(text).to_text()
    except (PrincipalError, ValueError, TypeError):
        raise ProjectError(f"{where}: {text!r} is not a principal; give principal texts such as"
                           " \"2vxsx-fae\" (see `dfx identity get-principal`)") from None


# -- the module and its init argument ----------------------------------------------------------


def read_module(path: Path, where: str, *, shown: str | None = None) -> bytes:
    """The module at `path`, decompressed; raises ProjectError if it is missing, unreadable or
    not Wasm. (Its imports and exports are checked at install: a bad module is a failed deploy.)"""
    from replica.wasm.module import GZIP_MAGIC, decompress
    from replica.wasm.sections import read_sections
    from replica.wasm.traps import InvalidModule

    shown = shown or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{where}: no such file {shown}; build the canister first, or fix the path") from None
    except IsADirectoryError:
        raise ProjectError(f"{where}: {shown} is a folder; name the .wasm file") from None
    except PermissionError:
        raise ProjectError(f"{where}: {shown} cannot be read (permission denied)") from None
    except OSError as exc:
        raise ProjectError(f"{where}: {shown} cannot be read ({exc.strerror})") from None
    try:
        raw = decompress(data)
        if not raw.startswith(b"\0asm"):
            gz = " (gzip-compressed)" if data.startswith(GZIP_MAGIC) else ""
            raise InvalidModule(f"it is not a WebAssembly module{gz}: it does not start with \\0asm")
        read_sections(raw)
    except InvalidModule as exc:
        raise ProjectError(f"{where}: {shown}: {exc}; name the .wasm the build produced") from None
    return raw


def init_types(module: bytes):
    """(types, env) of the module's init arguments from its Candid metadata, or None when it
    declares none (or metadata this parser cannot read)."""
    from ic import candid
    from replica.wasm.sections import read_custom_sections, read_sections

    sections = {}
    for name, content in read_custom_sections(module, read_sections(module)):
        _, _, key = name.partition(" ")
        if name.startswith(("icp:public ", "icp:private ")):
            sections[key] = content
    service, args = sections.get("candid:service"), sections.get("candid:args")
    try:
        did = candid.parse_did(service.decode()) if service is not None else None
        if did is not None and did.init_args is not None:
            return tuple(did.init_args), did
        if args is not None:
            return tuple(candid.parse_types(args.decode(), did)), did
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return None


def encode_init_arg(arg: str | bytes | None, module: bytes, where: str, *, hint: str = "init_arg = \"(...)\"") -> bytes:
    """The Candid bytes of an init argument: `arg` is Candid text, `hex:...`, binary Candid
    (from a file) or None (no argument: the module's init must take none)."""
    from ic import candid

    typed = init_types(module)
    if arg is None:
        if typed is not None and not all(_nullish(t) for t in typed[0]):
            raise ProjectError(f"{where}: the module's init takes {_signature(typed[0])}; give that argument,"
                               f" as {hint}")
        return EMPTY_ARGS
    if isinstance(arg, bytes):
        data = arg
    elif arg.strip().lower().startswith("hex:"):
        data = _hex(arg.strip()[4:], where)
    else:
        data = _encode_text(arg, typed, where)
    if len(data) > MAX_INIT_ARG_BYTES:
        raise ProjectError(f"{where}: the init argument is {len(data)} bytes, over the IC's limit of"
                           f" {MAX_INIT_ARG_BYTES} bytes")
    try:
        candid.decode(data, list(typed[0]) if typed is not None else None)
    except (ValueError, RecursionError) as exc:
        expected = f" at the module's init types {_signature(typed[0])}" if typed is not None else ""
        raise ProjectError(f"{where}: the init argument is not valid Candid{expected}: {_one_line(exc)}") from None
    return data


def _encode_text(text: str, typed, where: str) -> bytes:
    from ic import candid

    try:
        if typed is not None:
            types, env = typed
            return candid.encode(types, candid.parse_value_text(text, types, env))
        values, types = _untyped(text)
        return candid.encode(types, values)
    except (ValueError, RecursionError) as exc:
        expected = f" (the module's init takes {_signature(typed[0])})" if typed is not None else \
            " (the module has no candid:service metadata: annotate numbers, e.g. (42 : nat))"
        raise ProjectError(f"{where}: the init argument {_shorten(text)} does not parse: {_one_line(exc)}"
                           f"{expected}") from None


def _untyped(text: str) -> tuple[list, list]:
    """Values and types of Candid text read without expected types: each value at the type it
    shows (its annotation; a number is `int`, or `float64` with a point or exponent)."""
    from ic.candid.text import _ValueParser, coerce

    parser = _ValueParser(text)
    tree = parser.args()
    if not parser.ts.at("eof"):
        parser.ts.fail("expected end of input")
    types = [_infer(v) for v in tree]
    return [coerce(v, t) for v, t in zip(tree, types)], types


def _infer(v):
    from ic import candid as c

    kind = v[0]
    if kind == "ann":
        return v[2]
    if kind == "num":
        return c.FLOAT64 if re.search(r"[.eE]", str(v[1])) and "0x" not in str(v[1]).lower() else c.INT
    simple = {"text": c.TEXT, "bool": c.BOOL, "null": c.NULL, "principal": c.PRINCIPAL}
    if kind in simple:
        return simple[kind]
    if kind == "blob":
        return c.Vec(c.NAT8)
    if kind == "opt":
        return c.Opt(_infer(v[1]))
    if kind == "vec":
        return c.Vec(_infer(v[1][0]) if v[1] else c.EMPTY)
    if kind == "record":
        return c.Record(tuple(c.make_field(label, _infer(x)) for label, x in v[1]))
    if kind == "variant":
        return c.Variant((c.make_field(v[1], _infer(v[2])),))
    if kind == "service":
        return c.Service()
    raise c.CandidTypeMismatch(f"a {kind} value needs a type annotation, e.g. (func \"...\".m : func () -> ())")


def _nullish(t) -> bool:
    from ic.candid.types import is_nullish

    return is_nullish(t)


def _signature(types) -> str:
    from ic.candid import format_type, resolve

    text = "(" + ", ".join(format_type(resolve(t)) for t in types) + ")"
    return _shorten(text, 200)


def _hex(text: str, where: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ProjectError(f"{where}: the init argument is not hex: give hex:<Candid bytes as hex>, e.g."
                           f" hex:4449444c0000") from None


def _read_arg_file(path: Path, where: str, *, shown: str) -> bytes | str:
    """An init argument file: binary Candid (DIDL...), hex of it, or Candid text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{where}: no init argument file {shown}; give Candid text '(...)', hex:<bytes>,"
                           " or the path of a file holding one of them") from None
    except IsADirectoryError:
        raise ProjectError(f"{where}: {shown} is a folder, not an init argument file") from None
    except OSError as exc:
        raise ProjectError(f"{where}: the init argument file {shown} cannot be read ({exc.strerror})") from None
    if data.startswith(b"DIDL"):
        return data
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ProjectError(f"{where}: the init argument file {shown} holds neither binary Candid (DIDL...),"
                           " hex, nor Candid text") from None
    if re.fullmatch(r"(?:hex:)?[0-9A-Fa-f\s]+", text):
        return _hex(text.removeprefix("hex:"), where)
    return text


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _shorten(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
