"""The notes example dapp (examples/notes, issue 13 item 3): a Motoko backend keeping private notes
per principal and a frontend on @dfinity/auth-client + @dfinity/agent, both built by tools/setup.py
into examples/notes/build/.

Each test runs against two deployments of it:

- `static`: `serve.py --flavor test` on its own database; notes.wasm created and installed through
  aaaaa-aa with `ic.agent` (as tests/e2e/test_wasm_dapp.py does), and the built frontend served by
  a plain static HTTP server on another loopback port, told where things are by
  `?backend=<id>&ii=<II id>&host=<replica URL>`.
- `project`: `serve.py --flavor test --project examples/notes/ii-project.toml`, which deploys the
  backend by name and serves the frontend at `http://<frontend id>.localhost:PORT/` with the
  `ic_env` cookie (the frontend then needs no parameter; the cookie's backend id and root key are
  checked). Skipped, saying so, when serve.py has no `--project`.

Covered: the anonymous caller is refused (ic.agent queries and updates, and the page's own button),
the canister's bounds say what is wrong, two identities in two browser profiles (each with its own
virtual authenticator) see only their own notes, user text is shown as text, and a restart of
serve.py on the same database keeps the notes, the ids and the signed-in session; an upgrade to a
changed module keeps them too (enhanced orthogonal persistence): through aaaaa-aa, and in the
project through serve.py restarted on a changed module.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import http.server
import re
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ic.agent import Actor, Ed25519Identity, RejectError
from ic.principal import Principal
from tests.e2e.canister import run
from tests.e2e.conftest import II_CANISTER_ID, ROOT, Server, free_port, new_profile, start_server, stop_server
from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity
from tests.e2e.test_wasm_dapp import agent, deploy, management_call

NOTES = ROOT / "examples" / "notes"
PROJECT = NOTES / "ii-project.toml"
BUILD = NOTES / "build"
NOTES_WASM = BUILD / "notes.wasm"
NOTES_DID = BUILD / "notes.did"
DIST = BUILD / "dist"
ANONYMOUS = "2vxsx-fae"
CANISTER_REJECT = 4
CANISTER_ID = r"[a-z2-7]{5}(?:-[a-z2-7]{5}){3}-cai"


# --- deployments ------------------------------------------------------------------------------------

class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@dataclass
class Deployment:
    """The notes dapp on a serve.py of its own: `backend` (the notes canister's id), `url` (the
    frontend as a person opens it), `restart()` (the same database and port)."""

    kind: str
    tmp: Path
    server: Server = None
    backend: str = ""
    url: str = ""
    args: tuple = ()
    controller: Ed25519Identity | None = None
    files: http.server.ThreadingHTTPServer | None = field(default=None, repr=False)

    def start(self) -> None:
        port = self.server.port if self.server else None
        self.server = start_server(self.tmp, "--flavor", "test", *self.args, port=port)

    def restart(self) -> None:
        stop_server(self.server)
        self.start()

    def stop(self) -> None:
        if self.server:
            stop_server(self.server)
        if self.files:
            self.files.shutdown()
            self.files.server_close()


def serves_projects() -> bool:
    done = subprocess.run([sys.executable, str(ROOT / "serve.py"), "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return "--project" in done.stdout


def deploy_static(deployment: Deployment) -> None:
    """What works before `serve.py --project`: the module installed through aaaaa-aa, the
    frontend on a plain static server with parameters."""
    deployment.controller = Ed25519Identity.generate()
    deployment.start()
    deployment.backend = run(deploy(deployment.server, NOTES_WASM.read_bytes(), deployment.controller))
    files = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                            functools.partial(QuietFiles, directory=str(DIST)))
    threading.Thread(target=files.serve_forever, daemon=True).start()
    deployment.files = files
    query = urllib.parse.urlencode({"backend": deployment.backend, "ii": II_CANISTER_ID,
                                    "host": f"http://localhost:{deployment.server.port}"})
    deployment.url = f"http://localhost:{files.server_address[1]}/?{query}"


def printed_id(log: str, name: str) -> str:
    """The canister id serve.py printed for `name` (a line naming it, then its id)."""
    found = re.search(rf"^\W*{re.escape(name)}\b[^\n]*?\b({CANISTER_ID})", log, re.MULTILINE)
    assert found, f"serve.py printed no canister id for {name!r}:\n{log}"
    return found.group(1)


def ic_env(port: int, host: str) -> dict[str, str]:
    """The `ic_env` cookie of the frontend's page at `http://<host>:<port>/`, as @icp-sdk/core's
    getCanisterEnv reads it (`key=value` pairs joined by `&`, URL-encoded as one cookie value).
    Sent to 127.0.0.1 with that Host header: Python's resolver knows no `*.localhost`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": f"{host}:{port}"})
        answer = connection.getresponse()
        answer.read()
        cookies = answer.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()
    for cookie in cookies:
        name, _, rest = cookie.partition("=")
        if name.strip() == "ic_env":
            value = urllib.parse.unquote(rest.split(";", 1)[0].strip())
            return dict(pair.split("=", 1) for pair in value.split("&"))
    raise AssertionError(f"{host}:{port} sets no ic_env cookie (status {answer.status}, Set-Cookie: {cookies})")


def deploy_project(deployment: Deployment) -> None:
    """`serve.py --project examples/notes/ii-project.toml` (needs the project file and
    frontend-serving work of issue 13); .env and canister_ids.json go to the test's folder."""
    deployment.args = ("--project", str(PROJECT), "--env-file", str(deployment.tmp / ".env"))
    deployment.start()
    log = deployment.server.log()
    deployment.backend = printed_id(log, "notes_backend")
    frontend = printed_id(log, "notes")
    deployment.url = f"http://{frontend}.localhost:{deployment.server.port}/"
    env = ic_env(deployment.server.port, f"{frontend}.localhost")
    assert env["PUBLIC_CANISTER_ID:notes_backend"] == deployment.backend
    assert re.fullmatch(r"[0-9a-f]{266}", env["ic_root_key"]), env  # 133 bytes, as getCanisterEnv checks


@pytest.fixture(scope="module", params=["static", "project"])
def notes(request, tmp_path_factory) -> Deployment:
    if not (NOTES_WASM.exists() and (DIST / "main.js").exists()):
        pytest.fail("examples/notes/build is missing: run `python3 tools/setup.py` (make test does)")
    if request.param == "project" and not serves_projects():
        pytest.skip("serve.py has no --project yet (issue 13: project file, frontends served with ic_env)")
    deployment = Deployment(request.param, tmp_path_factory.mktemp(f"notes-{request.param}"))
    try:
        (deploy_static if request.param == "static" else deploy_project)(deployment)
        yield deployment
    finally:
        deployment.stop()


# --- the canister, from Python ----------------------------------------------------------------------

def backend(notes: Deployment, identity=None) -> Actor:
    return Actor(agent(notes.server, identity), notes.backend, NOTES_DID.read_text())


def refusal(coroutine) -> RejectError:
    with pytest.raises(RejectError) as caught:
        run(coroutine)
    return caught.value


def test_the_anonymous_caller_is_refused(notes):
    anonymous = backend(notes)
    assert str(run(anonymous.call("whoami"))) == ANONYMOUS  # it may ask who it is, nothing more
    for method, args in (("list", ()), ("add", ("hello",)), ("update", (1, "hello")), ("remove", (1,))):
        error = refusal(anonymous.call(method, *args))
        assert error.code == CANISTER_REJECT, error
        assert error.message == "Sign in first: the anonymous principal has no notes.", error


def test_a_caller_keeps_notes_within_the_bounds(notes):
    user = Ed25519Identity.generate()
    me = backend(notes, user)
    assert str(run(me.call("whoami"))) == str(user.sender())
    limits = run(me.call("limits"))
    assert (limits["max_note_chars"], limits["max_notes"]) == (2000, 100)

    first = run(me.call("add", "first"))
    second = run(me.call("add", "second"))
    assert (first, second) == (1, 2)
    run(me.call("update", first, "first, edited"))
    run(me.call("remove", second))
    [note] = run(me.call("list"))
    assert (note["id"], note["text"]) == (first, "first, edited")
    assert note["updated"] >= note["created"] > 1_600_000_000 * 10**9  # nanoseconds of the IC's time

    # Each refusal names what is wrong, and changes nothing.
    assert refusal(me.call("add", "x" * 2001)).message == \
        "A note has at most 2000 characters; this one has 2001."
    assert refusal(me.call("add", " \n\t ")).message == "A note cannot be empty."
    assert refusal(me.call("update", first, "")).message == "A note cannot be empty."
    assert refusal(me.call("update", second, "back")).message == "There is no note #2."
    assert refusal(me.call("remove", 99)).message == "There is no note #99."
    assert run(me.call("add", "é" * 2000)) == 3  # characters, not bytes
    assert [n["text"] for n in run(me.call("list"))] == ["first, edited", "é" * 2000]

    # The notebook holds 100 notes, then says so.
    async def fill():
        return await asyncio.gather(*(me.call("add", f"note {i}") for i in range(98)))
    run(fill())
    assert len(run(me.call("list"))) == 100
    assert refusal(me.call("add", "one more")).message == \
        "You have 100 notes, the most a notebook holds: delete one first."

    # Another caller sees none of them, and cannot touch them by id.
    other = backend(notes, Ed25519Identity.generate())
    assert run(other.call("list")) == []
    assert refusal(other.call("remove", first)).message == "There is no note #1."
    assert len(run(me.call("list"))) == 100


def rebuilt(wasm: bytes) -> bytes:
    """The same module with one more custom section: another module hash, as a rebuild after an
    edit gives, with the same behaviour."""
    name, payload = b"rebuilt", b"1"
    body = bytes([len(name)]) + name + payload
    return wasm + b"\x00" + bytes([len(body)]) + body


def test_an_upgrade_keeps_the_notes(notes, tmp_path):
    """Enhanced orthogonal persistence: the module installed again in `upgrade` mode (with `keep`,
    as moc's modules require) keeps every notebook and its id counter. The static deployment
    upgrades through aaaaa-aa as its controller; the project one the developer's way: serve.py
    restarted on a project whose module changed, then on the original project again."""
    me = backend(notes, Ed25519Identity.generate())
    run(me.call("add", "before the upgrade"))
    if notes.kind == "static":
        run(management_call(agent(notes.server, notes.controller), "install_code", {
            "mode": {"upgrade": [{"skip_pre_upgrade": [], "wasm_memory_persistence": [{"keep": None}]}]},
            "canister_id": Principal.from_text(notes.backend), "wasm_module": rebuilt(NOTES_WASM.read_bytes()),
            "arg": b"DIDL\x00\x00", "sender_canister_version": []}, effective=notes.backend))
        assert [n["text"] for n in run(me.call("list"))] == ["before the upgrade"]
        assert run(me.call("add", "after")) == 2
        return

    module = tmp_path / "notes.wasm"
    module.write_bytes(rebuilt(NOTES_WASM.read_bytes()))
    project = tmp_path / "ii-project.toml"
    project.write_text(f'[canisters.notes_backend]\nwasm = "{module}"\n\n[frontends.notes]\ndir = "{DIST}"\n')
    original = notes.args
    try:
        for args, texts in ((("--project", str(project), *original[2:]), ["before the upgrade"]),
                            (original, ["before the upgrade", "after"])):
            notes.args = args
            notes.restart()
            log = notes.server.log()
            assert re.search(rf"^notes_backend canister: {notes.backend} \(upgraded", log, re.MULTILINE), log
            assert [n["text"] for n in run(me.call("list"))] == texts
            if texts == ["before the upgrade"]:
                assert run(me.call("add", "after")) == 2
    finally:
        notes.args = original


# --- the dapp, in Chromium --------------------------------------------------------------------------

def sign_in(context, notes: Deployment):
    """Open the notes page, create an identity in the II popup with this profile's passkey, and
    return the page once it shows the signed-in view."""
    page = open_dapp(context, notes.url)
    assert page.text_content("[data-tid=backend-id]") == notes.backend
    login = click_login(context, page)
    register_new_identity(login.popup)
    page.wait_for_selector("[data-tid=signed-in]:not([hidden])", timeout=TIMEOUT)
    assert page.locator("[data-tid=error]").is_hidden(), page.text_content("[data-tid=error]")
    return page


def wait_idle(page) -> None:
    page.wait_for_function("document.documentElement.dataset.busy !== 'true'", timeout=TIMEOUT)


def texts(page) -> list[str]:
    wait_idle(page)
    return page.locator("[data-tid=note] [data-tid=note-text]").all_text_contents()


def add(page, text: str) -> None:
    count = page.locator("[data-tid=note]").count()
    page.fill("[data-tid=note-input]", text)
    page.click("[data-tid=add-button]")
    page.wait_for_function(f"document.querySelectorAll('[data-tid=note]').length === {count + 1}", timeout=TIMEOUT)
    assert page.input_value("[data-tid=note-input]") == ""


def note(page, text: str):
    return page.locator("[data-tid=note]", has=page.locator("[data-tid=note-text]", has_text=text))


def principal(page) -> str:
    return page.text_content("[data-tid=principal]")


def test_the_page_shows_the_refusal_of_the_anonymous_caller(notes, context):
    page = open_dapp(context, notes.url)
    page.click("[data-tid=anonymous-button]")
    page.wait_for_selector("[data-tid=error]:not([hidden])", timeout=TIMEOUT)
    assert page.text_content("[data-tid=error]") == \
        "Without signing in: Sign in first: the anonymous principal has no notes."


def test_two_identities_keep_their_own_notes_across_a_restart(notes, browser, context, tmp_path):
    alice = sign_in(context, notes)
    assert page_is_empty(alice)
    add(alice, "Buy oat milk")
    tricky = '<img src=x onerror="document.title=\'owned\'"> & <b>not bold</b>'
    add(alice, tricky)
    add(alice, "Call the plumber")
    assert texts(alice) == ["Call the plumber", tricky, "Buy oat milk"]  # newest first
    assert alice.locator("[data-tid=note-text] img, [data-tid=note-text] b").count() == 0  # text, not markup
    assert alice.title() == "Notes"

    # Edit one, delete one.
    item = note(alice, "Buy oat milk")
    item.locator("[data-tid=edit-button]").click()
    item.locator("[data-tid=edit-input]").fill("Buy oat milk (two)")
    item.locator("[data-tid=save-button]").click()
    alice.wait_for_selector("[data-tid=note-text]:text-is('Buy oat milk (two)')", timeout=TIMEOUT)
    assert "edited" in note(alice, "Buy oat milk (two)").locator("[data-tid=note-time]").text_content()
    note(alice, "Call the plumber").locator("[data-tid=delete-button]").click()
    alice.wait_for_function("document.querySelectorAll('[data-tid=note]').length === 2", timeout=TIMEOUT)
    alice_notes = [tricky, "Buy oat milk (two)"]  # by when they were added, newest first
    assert texts(alice) == alice_notes

    # The canister refuses what is over its bounds, and the page says why.
    alice.fill("[data-tid=note-input]", "x" * 2001)
    assert alice.text_content("[data-tid=note-length]") == "2001 / 2000"
    alice.click("[data-tid=add-button]")
    alice.wait_for_selector("[data-tid=error]:not([hidden])", timeout=TIMEOUT)
    assert alice.text_content("[data-tid=error]") == \
        "Adding the note: A note has at most 2000 characters; this one has 2001."
    alice.fill("[data-tid=note-input]", "")
    assert texts(alice) == alice_notes

    # Someone else, in another browser profile with its own authenticator: another principal,
    # an empty notebook, and notes Alice never sees.
    other = new_profile(browser)
    try:
        bob = sign_in(other, notes)
        assert principal(bob) not in (principal(alice), ANONYMOUS)
        assert page_is_empty(bob)
        add(bob, "Bob's secret")
        assert texts(bob) == ["Bob's secret"]
        alice.reload()
        alice.wait_for_selector("[data-tid=signed-in]:not([hidden])", timeout=TIMEOUT)
        assert texts(alice) == alice_notes
        screenshots(alice, tmp_path)

        # serve.py stops and starts again on the same database and port: both sessions and all the
        # notes are still there (the delegations stay valid: the root key is kept beside the db).
        notes.restart()
        for page, expected in ((alice, alice_notes), (bob, ["Bob's secret"])):
            page.reload()
            page.wait_for_function("document.documentElement.dataset.dappReady === 'true'", timeout=TIMEOUT)
            page.wait_for_selector("[data-tid=signed-in]:not([hidden])", timeout=TIMEOUT)
            assert texts(page) == expected
            assert page.locator("[data-tid=error]").is_hidden(), page.text_content("[data-tid=error]")
        if notes.kind == "project":  # the ids are remembered by name
            assert printed_id(notes.server.log(), "notes_backend") == notes.backend

        # Signing out goes back to the signed-out view, and keeps the notes for next time.
        bob.click("[data-tid=logout-button]")
        bob.wait_for_selector("[data-tid=signed-out]:not([hidden])", timeout=TIMEOUT)
        assert bob.locator("[data-tid=note]").count() == 0
        bob.reload()
        bob.wait_for_function("document.documentElement.dataset.dappReady === 'true'", timeout=TIMEOUT)
        assert bob.locator("[data-tid=signed-out]").is_visible()
    finally:
        other.close()


def page_is_empty(page) -> bool:
    wait_idle(page)
    page.wait_for_selector("[data-tid=empty]:not([hidden])", timeout=TIMEOUT)
    return page.locator("[data-tid=note]").count() == 0


def screenshots(page, folder: Path) -> None:
    """The signed-in page with notes, on a desktop and on a phone (kept in the test's tmp folder)."""
    for name, size in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"notes_{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
