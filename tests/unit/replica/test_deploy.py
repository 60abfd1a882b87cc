"""Deploying a project at start (replica.deploy): real Motoko modules, a real SQLite file, a restart
being a new `Replica` on the same file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from replica.deploy import CREATED, FAILED, INSTALLED, UNCHANGED, UPGRADED, deploy, load_or_create_identity
from replica.http.testing import Clock, Ed25519Identity, make_replica
from replica.project import build_project
from tests.unit.replica.test_management_client import EMPTY, Ic, candid, motoko, uncandid  # noqa: F401
from tests.unit.wasm.conftest import SOURCES

USER = Ed25519Identity(b"\x05" * 32)
STORE_V2 = (SOURCES / "stable.mo").read_text().replace(
    "public query func stats()", "public query func version() : async Nat { 2 };\n  public query func stats()")
# The same actor with a persistent variable's type changed: Motoko refuses to upgrade to it.
STORE_INCOMPATIBLE = (SOURCES / "stable.mo").read_text().replace("var count : Nat = 0;", 'var count : Text = "";') \
    .replace("count += 1;", 'count #= "x";').replace("(count, upgrades)", "(count.size(), upgrades)")
GREETER = """
persistent actor class Greeter(init : { greeting : Text; times : Nat }) {
  let greeting = init.greeting;
  let times = init.times;
  public query func greet(name : Text) : async Text { greeting # ", " # name # " x" # debug_show times };
};
"""
INIT_TRAPS = "(module (memory 1) (func (export \"canister_init\") unreachable))"


@pytest.fixture
def build(tmp_path, motoko):
    """module(name_or_source) -> path of a .wasm in tmp_path/build; a name is a test .mo file."""
    folder = tmp_path / "build"
    folder.mkdir()

    def module(what: str, as_name: str = "backend") -> Path:
        if what.startswith("(module"):
            from tests.unit.wasm.conftest import wat

            data = wat(what)
        elif "\n" in what:
            source = tmp_path / f"src-{abs(hash(what))}.mo"
            source.write_text(what)
            data = motoko(source)
        else:
            data = motoko(what)
        out = folder / f"{as_name}.wasm"
        out.write_bytes(data)
        return out

    return module


@pytest.fixture
def start(tmp_path):
    """start(project) -> (replica, deployment): one start of serve.py's replica on tmp_path/state."""
    opened = []

    def run(project):
        for replica in opened:
            replica.close()
        opened.clear()
        replica = make_replica(tmp_path / "state", clock=Clock())
        opened.append(replica)
        return replica, deploy(replica, project)

    yield run
    for replica in opened:
        replica.close()


def project_of(tmp_path, *canisters: str, frontends: tuple[str, ...] = (), env: bool = False):
    return build_project(canisters=list(canisters), frontends=list(frontends), cwd=tmp_path,
                         env_file=(tmp_path / "app" / ".env") if env else None)


def raw(text: str) -> bytes:
    from ic.principal import Principal

    return Principal.from_text(text).raw


def nat(answer) -> int:
    assert answer.replied, answer
    return uncandid("(nat)", answer.reply)[0]


def result(deployment, name):
    return next(r for r in deployment.results if r.name == name)


def test_first_start_creates_and_installs_a_restart_with_the_same_module_does_nothing(tmp_path, build, start):
    build("counter")
    project = project_of(tmp_path, "backend=build/backend.wasm")
    replica, first = start(project)
    backend = result(first, "backend")
    assert backend.action == CREATED and backend.kind == "canister"
    cid = raw(backend.canister_id)
    assert first.canisters == {"backend": backend.canister_id}
    ic = Ic(replica)
    assert nat(ic.call(USER, cid, "inc", EMPTY)) == 1
    assert nat(ic.call(USER, cid, "inc", EMPTY)) == 2
    identity = load_or_create_identity(tmp_path / "state")
    assert replica.host.get(cid).controllers == [identity.principal]
    assert first.deployer == identity.text
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "deploy-identity.pem").st_mode) == 0o600
    lines = first.startup_lines(4943)
    assert f"backend canister: {backend.canister_id} (created: module " in lines[1]

    replica, second = start(project)
    again = result(second, "backend")
    assert (again.action, again.canister_id, again.detail) == (UNCHANGED, backend.canister_id, "")
    assert nat(Ic(replica).query(USER, cid, "get", EMPTY)) == 2  # the state is the one of before
    assert second.startup_lines(4943)[1] == f"backend canister: {backend.canister_id} (unchanged)"


def test_a_changed_module_upgrades_keeping_stable_memory_and_persistent_variables(tmp_path, build, start):
    build("stable")
    project = project_of(tmp_path, "store=build/backend.wasm")
    replica, first = start(project)
    cid = raw(first.canisters["store"])
    ic = Ic(replica)
    assert ic.call(USER, cid, "put", candid("(blob)", b"kept")).replied
    assert ic.call(USER, cid, "put", candid("(blob)", b"kept across the upgrade")).replied
    old_hash = replica.host.get(cid).module_hash

    build(STORE_V2)
    replica, second = start(project)
    store = result(second, "store")
    assert store.action == UPGRADED and store.canister_id == first.canisters["store"]
    assert "main memory kept (enhanced orthogonal persistence)" in store.detail
    assert old_hash.hex()[:12] in store.detail
    ic = Ic(replica)
    assert uncandid("(blob)", ic.query(USER, cid, "load", EMPTY).reply)[0] == b"kept across the upgrade"
    assert uncandid("(nat, nat)", ic.query(USER, cid, "stats", EMPTY).reply) == [2, 1]  # count kept, one upgrade
    assert nat(ic.query(USER, cid, "version", EMPTY)) == 2

    replica, third = start(project)  # the upgrade is on disk: nothing to do now
    assert result(third, "store").action == UNCHANGED
    assert uncandid("(nat, nat)", Ic(replica).query(USER, cid, "stats", EMPTY).reply) == [2, 1]


def test_a_failed_upgrade_keeps_the_previous_module_running_and_the_start_goes_on(tmp_path, build, start):
    build("stable")
    project = project_of(tmp_path, "store=build/backend.wasm")
    replica, first = start(project)
    cid = raw(first.canisters["store"])
    assert Ic(replica).call(USER, cid, "put", candid("(blob)", b"before")).replied
    old_hash = replica.host.get(cid).module_hash

    build(STORE_INCOMPATIBLE)
    replica, second = start(project)
    store = result(second, "store")
    assert store.action == FAILED and store.canister_id == first.canisters["store"]
    assert store.detail.endswith(f"the previous module keeps running ({old_hash.hex()[:12]}...)")
    line = next(line for line in second.startup_lines(4943) if line.startswith("store canister:"))
    assert "(FAILED: " in line and "\n" not in line
    assert replica.host.get(cid).module_hash == old_hash
    ic = Ic(replica)
    assert uncandid("(blob)", ic.query(USER, cid, "load", EMPTY).reply)[0] == b"before"
    assert ic.call(USER, cid, "put", candid("(blob)", b"after")).replied  # it still runs

    replica, third = start(project)  # nothing of the refused upgrade reached the disk
    assert replica.host.get(cid).module_hash == old_hash
    assert result(third, "store").action == FAILED
    assert uncandid("(nat, nat)", Ic(replica).query(USER, cid, "stats", EMPTY).reply) == [2, 0]

    build("stable")  # the developer goes back to a module that fits
    replica, fourth = start(project)
    assert result(fourth, "store").action == UNCHANGED


def test_a_failed_first_install_leaves_the_canister_empty_and_the_next_start_installs_it(tmp_path, build, start):
    build(INIT_TRAPS)
    project = project_of(tmp_path, "backend=build/backend.wasm")
    replica, first = start(project)
    backend = result(first, "backend")
    assert backend.action == FAILED and backend.canister_id is not None
    assert "trap" in backend.detail.lower() and backend.detail.endswith("the canister stays empty")
    assert replica.host.get(raw(backend.canister_id)).module_hash is None

    build("counter")
    replica, second = start(project)
    fixed = result(second, "backend")
    assert (fixed.action, fixed.canister_id) == (INSTALLED, backend.canister_id)
    assert nat(Ic(replica).call(USER, raw(fixed.canister_id), "inc", EMPTY)) == 1


def test_the_init_argument_reaches_the_module(tmp_path, build, start):
    build(GREETER, "greeter")
    project = project_of(tmp_path, "greeter=build/greeter.wasm:(record { greeting = \"Hello\"; times = 3 })")
    replica, deployment = start(project)
    cid = raw(deployment.canisters["greeter"])
    answer = Ic(replica).query(USER, cid, "greet", candid("(text)", "dev"))
    assert uncandid("(text)", answer.reply)[0] == "Hello, dev x3"

    changed = project_of(tmp_path, "greeter=build/greeter.wasm:(record { greeting = \"Hi\"; times = 1 })")
    replica, again = start(changed)
    greeter = result(again, "greeter")
    assert greeter.action == UNCHANGED and "the init argument changed" in greeter.detail


def test_a_frontend_gets_an_empty_canister_with_a_stable_id(tmp_path, start):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    project = project_of(tmp_path, frontends=("app=dist",))
    replica, first = start(project)
    app = result(first, "app")
    assert (app.kind, app.action) == ("frontend", CREATED)
    assert first.frontends == {app.canister_id: dist.resolve()}
    assert first.canisters == {"app": app.canister_id}
    assert first.canister_env == {"PUBLIC_CANISTER_ID:internet_identity": "rdmx6-jaaaa-aaaaa-aaadq-cai",
                                  "PUBLIC_CANISTER_ID:app": app.canister_id}
    hosted = replica.host.get(raw(app.canister_id))
    assert hosted is not None and hosted.module_hash is None
    lines = first.startup_lines(4943)
    assert f"  http://{app.canister_id}.localhost:4943/" in lines
    assert f"  http://localhost:4943/?canisterId={app.canister_id}" in lines

    replica, second = start(project)
    assert (result(second, "app").action, result(second, "app").canister_id) == (UNCHANGED, app.canister_id)


def test_ids_are_per_name_and_a_deleted_canister_comes_back_at_its_id(tmp_path, build, start):
    build("counter")
    project = project_of(tmp_path, "one=build/backend.wasm", "two=build/backend.wasm")
    replica, first = start(project)
    one, two = first.canisters["one"], first.canisters["two"]
    assert one != two
    identity = load_or_create_identity(tmp_path / "state")

    class Deployer:  # the developer deletes `one` with dfx, as the deploy identity
        der = identity.der

        def sign(self, message):
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            return load_pem_private_key(identity.path.read_bytes(), None).sign(message)

        @property
        def principal(self):
            return identity.principal

    ic = Ic(replica)
    ic.ok(Deployer(), "stop_canister", {"canister_id": raw(one)})
    ic.ok(Deployer(), "delete_canister", {"canister_id": raw(one)})

    replica, second = start(project_of(tmp_path, "two=build/backend.wasm", "one=build/backend.wasm"))
    assert second.canisters == {"two": two, "one": one}
    assert result(second, "one").action == CREATED and result(second, "two").action == UNCHANGED


def test_extra_controllers_are_set_at_creation_and_added_later(tmp_path, build, start):
    build("counter")
    alice, bob = Ed25519Identity(b"\x06" * 32), Ed25519Identity(b"\x07" * 32)
    from ic.principal import Principal

    a, b = (Principal.from_bytes(i.principal).to_text() for i in (alice, bob))
    file = tmp_path / "ii-project.toml"
    file.write_text(f'[canisters.backend]\nwasm = "build/backend.wasm"\ncontrollers = ["{a}"]\n')
    replica, first = start(build_project(project_file=file, cwd=tmp_path))
    cid = raw(first.canisters["backend"])
    identity = load_or_create_identity(tmp_path / "state")
    assert replica.host.get(cid).controllers == [identity.principal, alice.principal]
    assert Ic(replica).ok(alice, "canister_status", {"canister_id": cid})["module_hash"]

    file.write_text(f'[canisters.backend]\nwasm = "build/backend.wasm"\ncontrollers = ["{b}"]\n')
    replica, second = start(build_project(project_file=file, cwd=tmp_path))
    assert result(second, "backend").action == UNCHANGED
    assert replica.host.get(cid).controllers == [identity.principal, alice.principal, bob.principal]


def test_env_and_canister_ids_json_are_written_keeping_what_is_not_ours(tmp_path, build, start):
    build("counter")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html>")
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    env = app_dir / ".env"
    env.write_text("VITE_TITLE='my dapp'\n# DFX CANISTER ENVIRONMENT VARIABLES\nCANISTER_ID_OLD='x'\n"
                   "# END DFX CANISTER ENVIRONMENT VARIABLES\nAFTER=1\n")
    (app_dir / "canister_ids.json").write_text(json.dumps({"backend": {"ic": "ryjl3-tyaaa-aaaaa-aaaba-cai"},
                                                           "other": {"local": "keep"}}))
    project = project_of(tmp_path, "my-backend=build/backend.wasm", frontends=("app=dist",), env=True)
    replica, deployment = start(project)
    ids = deployment.canisters
    root_key = replica.root_key.hex()
    assert env.read_text() == (
        "VITE_TITLE='my dapp'\n"
        "# DFX CANISTER ENVIRONMENT VARIABLES\n"
        "DFX_NETWORK='local'\n"
        "CANISTER_ID_INTERNET_IDENTITY='rdmx6-jaaaa-aaaaa-aaadq-cai'\n"
        f"CANISTER_ID_MY_BACKEND='{ids['my-backend']}'\n"
        f"CANISTER_ID_APP='{ids['app']}'\n"
        "II_CANISTER_ID='rdmx6-jaaaa-aaaaa-aaadq-cai'\n"
        f"IC_ROOT_KEY='{root_key}'\n"
        "# END DFX CANISTER ENVIRONMENT VARIABLES\n"
        "AFTER=1\n")
    assert json.loads((app_dir / "canister_ids.json").read_text()) == {
        "backend": {"ic": "ryjl3-tyaaa-aaaaa-aaaba-cai"},
        "other": {"local": "keep"},
        "internet_identity": {"local": "rdmx6-jaaaa-aaaaa-aaadq-cai"},
        "my-backend": {"local": ids["my-backend"]},
        "app": {"local": ids["app"]},
    }
    assert deployment.startup_lines(4943)[-1] == f"canister ids written to {env} and {app_dir / 'canister_ids.json'}"

    before = env.stat().st_mtime_ns
    os.utime(env, ns=(before - 10**9, before - 10**9))
    replica, again = start(project)  # the same ids: the files are not rewritten
    assert env.stat().st_mtime_ns == before - 10**9


def test_a_new_env_file_and_one_without_a_block(tmp_path):
    from replica.deploy import Deployment, Result, merge_env

    deployment = Deployment((Result("b", "canister", "aaaaa-aa", CREATED),))
    from replica.deploy import env_block

    block = env_block(deployment, ii_canister_id="rdmx6-jaaaa-aaaaa-aaadq-cai", root_key=b"\x01")
    assert merge_env("", block) == "\n".join(block) + "\n"
    assert merge_env("A=1", block) == "A=1\n" + "\n".join(block) + "\n"
    # A block whose end marker was lost: the lines after it stay, a new block is added.
    assert merge_env("# DFX CANISTER ENVIRONMENT VARIABLES\nMINE=1\n", block) == "MINE=1\n" + "\n".join(block) + "\n"


def test_nothing_to_deploy_needs_no_identity(tmp_path, start):
    replica, deployment = start(None)
    assert deployment.results == () and deployment.startup_lines(4943) == []
    replica, only_env = start(build_project(env_file=tmp_path / ".env", cwd=tmp_path))
    assert not (tmp_path / "state" / "deploy-identity.pem").exists()
    assert "CANISTER_ID_INTERNET_IDENTITY='rdmx6-jaaaa-aaaaa-aaadq-cai'" in (tmp_path / ".env").read_text()


def test_a_version_4_database_gains_the_names_table(tmp_path):
    import sqlite3

    from replica.storage import SCHEMA_VERSION, open_storage

    path = tmp_path / "db.sqlite3"
    storage = open_storage(path)
    storage.name_canister("backend", b"\x00" * 8 + b"\x01\x01")
    storage.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE canister_names")
    conn.execute("UPDATE schema_version SET version = 4")
    conn.commit()
    conn.close()
    storage = open_storage(path)
    try:
        assert storage.schema_version == SCHEMA_VERSION and storage.named_canisters() == {}
        storage.name_canister("backend", b"\x00" * 8 + b"\x01\x01")
        storage.record_deploy("backend", b"h" * 32, b"a" * 32, 7)
        named = storage.named_canisters()["backend"]
        assert (named.canister_id, named.module_hash, named.arg_hash, named.deployed_ns) == (
            b"\x00" * 8 + b"\x01\x01", b"h" * 32, b"a" * 32, 7)
    finally:
        storage.close()


def test_a_module_without_orthogonal_persistence_is_upgraded_without_keep(tmp_path, build, start):
    build("(module (memory 1))")
    project = project_of(tmp_path, "plain=build/backend.wasm")
    replica, first = start(project)
    assert result(first, "plain").action == CREATED
    build('(module (memory 1) (func (export "canister_query version")))')
    replica, second = start(project)
    plain = result(second, "plain")
    assert plain.action == UPGRADED and "kept" not in plain.detail
    assert replica.host.get(raw(plain.canister_id)).engine.module.methods.keys() == {"version"}


def test_a_canister_the_deploy_identity_no_longer_controls_is_left_alone_with_the_reason(tmp_path, build, start):
    build("(module (memory 1))")
    project = project_of(tmp_path, "plain=build/backend.wasm")
    replica, first = start(project)
    (tmp_path / "state" / "deploy-identity.pem").unlink()  # a new identity on the next start
    build('(module (memory 1) (func (export "canister_query version")))')
    replica, second = start(project)
    plain = result(second, "plain")
    identity = load_or_create_identity(tmp_path / "state")
    assert (plain.action, plain.canister_id) == (FAILED, first.canisters["plain"])
    assert plain.detail.startswith(f"the deploy identity {identity.text} ")
    assert "is not a controller of" in plain.detail and "; the previous module keeps running (" in plain.detail
