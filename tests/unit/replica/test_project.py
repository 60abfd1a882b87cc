"""The project (replica.project): `--canister`/`--frontend` flags and the TOML file are one
`Project`; init arguments are encoded at the module's own Candid types; every bad input is one
`ProjectError` line naming the flag or key."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from replica.project import EMPTY_ARGS, ProjectError, build_project, env_name

TYPED = ('(module (@custom "icp:private candid:service" "type Init = record { owner : text; limit : opt nat };'
         ' service : { get : () -> (nat) query }") (@custom "icp:private candid:args" "(init : Init)"))')
SERVICE_INIT = '(module (@custom "icp:public candid:service" "service : (nat16) -> { get : () -> (nat) query }"))'
PLAIN = "(module)"


def candid_bytes(types: str, *values) -> bytes:
    from ic import candid

    return candid.encode(candid.parse_types(types), list(values))


@pytest.fixture
def tree(tmp_path):
    """A project folder: a plain module, one with Candid init types, a frontend."""
    import wasmtime

    (tmp_path / "plain.wasm").write_bytes(wasmtime.wat2wasm(PLAIN))
    (tmp_path / "typed.wasm").write_bytes(wasmtime.wat2wasm(TYPED))
    (tmp_path / "svc.wasm.gz").write_bytes(gzip.compress(wasmtime.wat2wasm(SERVICE_INIT)))
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html>")
    return tmp_path


def flags(tree: Path, *canisters: str, frontends: tuple[str, ...] = ()):
    return build_project(canisters=list(canisters), frontends=list(frontends), cwd=tree)


def error(call, *args, **kw) -> str:
    with pytest.raises(ProjectError) as caught:
        call(*args, **kw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_nothing_named_is_no_project(tree):
    assert build_project(cwd=tree) is None


def test_flags_and_the_file_give_the_same_project(tree):
    (tree / "arg.txt").write_text('(record { owner = "me" })\n')
    by_flags = flags(tree, "plain=plain.wasm", 'typed=typed.wasm:(record { owner = "me" })', frontends=("app=dist",))
    file = tree / "ii-project.toml"
    file.write_text('[canisters.plain]\nwasm = "plain.wasm"\n\n[canisters.typed]\nwasm = "typed.wasm"\n'
                    'init_arg_file = "arg.txt"\n\n[frontends.app]\ndir = "dist"\n')
    by_file = build_project(project_file=file, cwd=tree)
    strip = lambda p: ([(c.name, c.wasm, c.init_arg, c.controllers) for c in p.canisters],
                       [(f.name, f.dir) for f in p.frontends], p.env_file)
    assert strip(by_flags) == strip(by_file)
    assert by_flags.canisters[0].init_arg == EMPTY_ARGS
    assert by_file.env_file == tree / ".env" and by_file.ids_file == tree / "canister_ids.json"
    assert by_file.frontends[0].dir == (tree / "dist").resolve()


def test_the_file_s_paths_are_relative_to_it_and_flags_add_to_it(tree):
    sub = tree / "conf"
    sub.mkdir()
    file = sub / "p.toml"
    file.write_text('[canisters.a]\nwasm = "../plain.wasm"\n')
    project = build_project(project_file=Path("conf/p.toml"), canisters=["b=plain.wasm"], cwd=tree)
    assert [c.name for c in project.canisters] == ["a", "b"]
    assert project.canisters[0].wasm == (tree / "plain.wasm").resolve()
    assert project.env_file == sub.resolve() / ".env"
    assert build_project(canisters=["b=plain.wasm"], env_file=Path("out/x.env"), cwd=tree).env_file == \
        (tree / "out" / "x.env").resolve()


def test_init_arguments_are_read_at_the_module_s_types(tree):
    typed = flags(tree, 'typed=typed.wasm:(record { owner = "me"; limit = opt 5 })').canisters[0]
    assert typed.init_arg == candid_bytes("(record { owner : text; limit : opt nat })", {"owner": "me", "limit": [5]})
    # The numbers are nat16 because the service's own init arguments say so (a gzip-compressed module).
    svc = flags(tree, "svc=svc.wasm.gz:(7)").canisters[0]
    assert svc.init_arg == candid_bytes("(nat16)", 7)


def test_without_candid_metadata_the_text_shows_its_types(tree):
    project = flags(tree, 'p=plain.wasm:(42, (7 : nat8), "x", opt record { a = true }, vec { 1.5 })')
    assert project.canisters[0].init_arg == candid_bytes(
        "(int, nat8, text, opt record { a : bool }, vec float64)", 42, 7, "x", [{"a": True}], [1.5])


def test_hex_and_files_of_candid(tree):
    data = candid_bytes("(record { owner : text; limit : opt nat })", {"owner": "x", "limit": None})
    assert flags(tree, f"t=typed.wasm:hex:{data.hex()}").canisters[0].init_arg == data
    (tree / "arg.bin").write_bytes(data)
    (tree / "arg.hex").write_text(data.hex() + "\n")
    assert flags(tree, "t=typed.wasm:arg.bin").canisters[0].init_arg == data
    assert flags(tree, "t=typed.wasm:arg.hex").canisters[0].init_arg == data


def test_controllers_are_principals(tree):
    file = tree / "p.toml"
    file.write_text('[canisters.a]\nwasm = "plain.wasm"\ncontrollers = ["2vxsx-fae", "aaaaa-aa"]\n')
    assert build_project(project_file=file, cwd=tree).canisters[0].controllers == ("2vxsx-fae", "aaaaa-aa")
    file.write_text('[canisters.a]\nwasm = "plain.wasm"\ncontrollers = ["not a principal"]\n')
    assert "controllers: 'not a principal' is not a principal" in error(build_project, project_file=file, cwd=tree)


def test_env_names_are_dfx_s():
    assert env_name("my-backend") == "MY_BACKEND" and env_name("App_2") == "APP_2"


@pytest.mark.parametrize("flag,expected", [
    ("missing.wasm", "--canister b=missing.wasm: no such file missing.wasm; build the canister first, or fix the path"),
    ("dist", "--canister b=dist: dist is a folder; name the .wasm file"),
    ("dist/index.html", "--canister b=dist/index.html: dist/index.html: it is not a WebAssembly module: it does not"
                        " start with \\0asm; name the .wasm the build produced"),
    ("plain.wasm:", "--canister b=plain.wasm:: the init argument after ':' is empty"),
    ("plain.wasm:(1,", "--canister b=plain.wasm:(1,: the init argument (1, does not parse: 1:4: expected a value"),
    ("typed.wasm:(42)", "--canister b=typed.wasm:(42): the init argument (42) does not parse: value num cannot be read"
                        " at type record { owner : text; limit : opt nat } (the module's init takes (record {"
                        " owner : text; limit : opt nat }))"),
    ("typed.wasm", "--canister b=typed.wasm: the module's init takes (record { owner : text; limit : opt nat });"
                   " give that argument"),
    ("typed.wasm:hex:zz", "--canister b=typed.wasm:hex:zz: the init argument is not hex"),
    ("plain.wasm:hex:4449", "--canister b=plain.wasm:hex:4449: the init argument is not valid Candid"),
    ("plain.wasm:nofile", "--canister b=plain.wasm:nofile: no init argument file nofile"),
])
def test_bad_canister_flags(tree, flag, expected):
    assert error(flags, tree, f"b={flag}").startswith(expected)


def test_a_module_that_cannot_be_read(tree):
    (tree / "locked.wasm").write_bytes((tree / "plain.wasm").read_bytes())
    (tree / "locked.wasm").chmod(0)
    try:
        import os

        if os.access(tree / "locked.wasm", os.R_OK):
            pytest.skip("running as a user who reads every file")
        assert error(flags, tree, "b=locked.wasm") == "--canister b=locked.wasm: locked.wasm cannot be read (permission denied)"
    finally:
        (tree / "locked.wasm").chmod(0o600)


@pytest.mark.parametrize("canisters,frontends,expected", [
    (["a=plain.wasm", "a=plain.wasm"], (), "--canister a=plain.wasm: the name 'a' is used twice (also by --canister"
                                          " a=plain.wasm); give each canister and frontend its own name"),
    (["a=plain.wasm"], ("a=dist",), "--frontend a=dist: the name 'a' is used twice (also by --canister a=plain.wasm)"),
    (["a-b=plain.wasm", "a_b=plain.wasm"], (), "--canister a_b=plain.wasm: the names 'a-b' and 'a_b' both become"
                                              " CANISTER_ID_A_B in .env; rename one"),
    (["internet_identity=plain.wasm"], (), "--canister internet_identity=plain.wasm: the name 'internet_identity' is"
                                           " this replica's Internet Identity canister"),
    (["plain.wasm"], (), "--canister plain.wasm: expected NAME=PATH.wasm[:ARG]"),
    (["x y=plain.wasm"], (), "--canister x y=plain.wasm: 'x y' is not a usable canister name"),
    ([], ("app=missing",), "--frontend app=missing: no such folder missing; build the frontend first"),
    ([], ("app=plain.wasm",), "--frontend app=plain.wasm: plain.wasm is a file, not a folder"),
    ([], ("app=.",), "--frontend app=.: the folder . has no index.html; name the frontend's build output"),
    ([], ("app",), "--frontend app: expected NAME=DIR"),
])
def test_bad_names_and_frontends(tree, canisters, frontends, expected):
    assert error(flags, tree, *canisters, frontends=frontends).startswith(expected)


@pytest.mark.parametrize("text,expected", [
    ("[canister.a]\nwasm = 'plain.wasm'\n", "unknown key 'canister' at the top level; did you mean 'canisters'?"),
    ("[canisters.a]\nwasm_path = 'plain.wasm'\n", "[canisters.a]: unknown key 'wasm_path'; did you mean 'wasm'?"),
    ("[canisters.a]\nwasm = 'plain.wasm'\ncycles = 1\n", "[canisters.a]: unknown key 'cycles'; known keys: wasm,"
                                                          " init_arg, init_arg_file, controllers"),
    ("[frontends.app]\ndir = 'dist'\nsource = 'src'\n", "[frontends.app]: unknown key 'source'; known keys: dir"),
    ("[canisters.a]\n", "[canisters.a]: the key 'wasm' is missing; add wasm = \"...\""),
    ("[canisters.a]\nwasm = 3\n", "[canisters.a] wasm: must be a string, not int"),
    ("[canisters.a]\nwasm = 'plain.wasm'\ninit_arg = '()'\ninit_arg_file = 'x'\n",
     "[canisters.a]: both init_arg and init_arg_file are given; keep one"),
    ("[canisters.a]\nwasm = 'typed.wasm'\ninit_arg = '(record {})'\n",
     "[canisters.a] init_arg: the init argument (record {}) does not parse: record field 'owner' is missing"),
    ("canisters = 1\n", "'canisters' must be a table of named entries, e.g. [canisters.NAME]"),
    ("[canisters]\na = 1\n", "[canisters.a]: must be a table"),
    ("[canisters.a\nwasm = 1\n", "not valid TOML: "),
    ("[frontends.app]\ndir = 'nowhere'\n", "[frontends.app] dir: no such folder nowhere"),
])
def test_bad_project_files(tree, text, expected):
    file = tree / "ii-project.toml"
    file.write_text(text)
    message = error(build_project, project_file=file, cwd=tree)
    assert message.startswith((f"--project {file}: ", f"{file}: ", f"{file} [")), message
    assert expected in message


def test_a_missing_project_file(tree):
    assert error(build_project, project_file=Path("nope.toml"), cwd=tree) == \
        f"--project {tree / 'nope.toml'}: no such file; fix the path, or write the project file first"


def test_a_name_in_the_file_and_in_a_flag(tree):
    file = tree / "p.toml"
    file.write_text('[canisters.a]\nwasm = "plain.wasm"\n')
    assert error(build_project, project_file=file, canisters=["a=plain.wasm"], cwd=tree) == (
        f"--canister a=plain.wasm: the name 'a' is used twice (also by {file} [canisters.a]); give each canister"
        " and frontend its own name")
