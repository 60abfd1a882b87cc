"""A dapp signs in through the II popup and calls a Motoko canister hosted by this replica with the
delegation it got (issue 12).

The canister (`tests/e2e/motoko/whoami.mo`, compiled at test time by the pinned npm `motoko`) is
created and installed through `aaaaa-aa` over real HTTP with `ic.agent`. Both demo dapps
(@dfinity/auth-client and @icp-sdk/auth) are opened with `?backend=<its id>`: after login they call
its `whoami_update` (an update: ingress signed with the delegation chain, a certified reply) and its
`whoami` query. The canister must see the principal the dapp got from II, and keep its count of
that principal's updates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ic.agent import Actor, Agent, Ed25519Identity, UrllibTransport
from tests.e2e.canister import run
from tests.e2e.conftest import Server, new_profile
from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity
from tests.unit.wasm.conftest import motoko  # noqa: F401  (fixture)

WHOAMI_MO = Path(__file__).resolve().parent / "motoko" / "whoami.mo"
WHOAMI_DID = """service : {
  whoami : () -> (principal) query;
  whoami_update : () -> (principal);
  calls : (principal) -> (nat) query;
  callers : () -> (nat) query;
}"""
MANAGEMENT = "aaaaa-aa"
ANONYMOUS = "2vxsx-fae"
EMPTY_ARGS = b"DIDL\x00\x00"


def agent(server: Server, identity=None) -> Agent:
    return Agent(UrllibTransport(f"http://localhost:{server.port}"), identity, fetch_root_key=True)


def whoami(server: Server, canister_id: str, identity=None) -> Actor:
    return Actor(agent(server, identity), canister_id, WHOAMI_DID)


async def management_call(ic: Agent, method: str, arg: dict, *, effective: str):
    """An update to aaaaa-aa, sent to the effective canister id its argument names (as agent-js's
    getManagementCanister does), Candid at the types of the replica's own ic.did."""
    from replica.canisters.management.canister import DID_TEXT

    management = Actor(ic, MANAGEMENT, DID_TEXT)
    reply = await ic.update(MANAGEMENT, method, management.encode_args(method, (arg,)),
                            effective_canister_id=effective)
    return management.decode_reply(method, reply)


async def deploy(server: Server, wasm: bytes, controller: Ed25519Identity) -> str:
    ic = agent(server, controller)
    created = await management_call(ic, "provisional_create_canister_with_cycles",
                                    {"amount": [], "settings": [], "specified_id": [], "sender_canister_version": []},
                                    effective=MANAGEMENT)
    canister_id = created["canister_id"]
    canister_text = str(canister_id)
    await management_call(ic, "install_code",
                          {"mode": {"install": None}, "canister_id": canister_id, "wasm_module": wasm,
                           "arg": EMPTY_ARGS, "sender_canister_version": []},
                          effective=canister_text)
    return canister_text


@pytest.fixture(scope="module")
def backend(server, motoko) -> str:  # noqa: F811  (the fixture imported above)
    """The id of the Motoko whoami canister, created and installed on `server` through aaaaa-aa."""
    return run(deploy(server, motoko(WHOAMI_MO), Ed25519Identity.generate()))


def calls(server: Server, canister_id: str, principal: str) -> int:
    from ic.principal import Principal

    return run(whoami(server, canister_id).call("calls", Principal.from_text(principal)))


def test_the_motoko_canister_answers_a_python_client(server, backend):
    """Before any browser: the installed module answers with the caller, and counts updates."""
    user = Ed25519Identity.generate()
    me = str(user.sender())
    assert str(run(whoami(server, backend).call("whoami"))) == ANONYMOUS
    assert str(run(whoami(server, backend, user).call("whoami_update"))) == me
    assert str(run(whoami(server, backend, user).call("whoami"))) == me
    assert calls(server, backend, me) == 1


def sign_in_with_backend(context, server: Server, page: str, backend: str) -> tuple[str, object]:
    """Open the demo dapp `page` with `?backend=`, create a new identity with a passkey in the II
    popup, and return the dapp's principal once the backend has answered both calls."""
    dapp = open_dapp(context, server.dapp_url(f"{page}?backend={backend}"))
    assert dapp.text_content("[data-tid=backend-id]") == backend
    login = click_login(context, dapp)
    register_new_identity(login.popup)
    principal = login.principal()  # also checks the Python whoami canister agrees
    dapp.wait_for_selector("[data-tid=backend-whoami-query]:not([hidden])", timeout=TIMEOUT)
    assert dapp.locator("[data-tid=error]").is_hidden(), dapp.text_content("[data-tid=error]")
    assert dapp.text_content("[data-tid=backend-whoami]") == principal  # the update call
    assert dapp.text_content("[data-tid=backend-whoami-query]") == principal  # the query
    return principal, dapp


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icrc"])
def test_dapp_calls_the_motoko_canister_with_its_delegation(server, browser, context, backend, page, tmp_path):
    callers_before = run(whoami(server, backend).call("callers"))

    first, dapp = sign_in_with_backend(context, server, page, backend)
    assert first != ANONYMOUS
    dapp.screenshot(path=str(tmp_path / "wasm_dapp.png"), full_page=True)
    assert calls(server, backend, first) == 1  # the update changed the canister's state, for that principal

    # Someone else, in another browser profile, with another identity: another principal.
    other = new_profile(browser)
    try:
        second, _ = sign_in_with_backend(other, server, page, backend)
    finally:
        other.close()
    assert second not in (first, ANONYMOUS)
    assert calls(server, backend, second) == 1
    assert calls(server, backend, first) == 1
    assert run(whoami(server, backend).call("callers")) == callers_before + 2


def test_without_the_parameter_the_dapp_has_no_backend_section(server, context):
    dapp = open_dapp(context, server.dapp_url())
    assert dapp.locator("[data-tid=backend]").is_hidden()
