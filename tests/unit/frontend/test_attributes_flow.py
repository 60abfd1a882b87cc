"""`ii-icrc3-attributes` through the authorize flow under CPython: the dapp asks for attributes with
its sign-in, the person consents (or denies all) on the consent screen, and the certified message
and signature go to the dapp before the delegation; the replica in-process certifies them."""

from __future__ import annotations

import asyncio
import base64

from app.flows.attributes import Option, match_options
from app.flows.authorize import AuthorizeFlow
from app.remembered import STORAGE_KEY, parse_remembered
from app.ui.attributes import option_input
from app.ui.screen import Click
from ic import candid
from tests.unit.frontend.flow_fakes import FakeUi, make_env, page_of
from tests.unit.frontend.test_authorize_flow import CAPTCHA, DAPP, Dapp, authorize
from tests.unit.protocol.payloads import ecdsa_session_key, from_dapp, heartbeat, icrc34_request, rpc

NONCE = bytes(range(32))


def named_identity(replica, storage, name):
    """An identity created through the authorize flow, remembered in `storage`, named `name`."""
    asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")],
                          storage))
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number
    state = replica.canisters["internet_identity"].state
    anchor = state.read_anchor(number)
    anchor.set_name(name)
    state.write_anchor(anchor)
    return number


async def sign_in_with_attributes(replica, script, storage, keys):
    env = make_env(replica, storage=storage)
    env.ui = ui = FakeUi(script)
    tasks = []
    env.spawn = lambda coroutine: tasks.append(asyncio.ensure_future(coroutine))
    dapp = Dapp()
    AuthorizeFlow(env, dapp.port()).start()
    params = {"keys": list(keys), "nonce": base64.b64encode(NONCE).decode()}
    for message in (heartbeat(), rpc("ii-icrc3-attributes", params, "attr"), icrc34_request(ecdsa_session_key())):
        dapp.listener(from_dapp(message, origin=DAPP))
    while tasks:
        await tasks.pop(0)
    return dapp, ui


def decoded(result):
    from replica.canisters.internet_identity.canister import load_did_text

    value_type = candid.parse_did(load_did_text()).lookup("Icrc3Value")
    (value,) = candid.decode(base64.b64decode(result["data"]), [value_type])
    return dict(value["Map"])


def test_consent_shares_the_name_then_the_delegation_follows(replica):
    storage = {}
    number = named_identity(replica, storage, "Alice")
    dapp, ui = asyncio.run(sign_in_with_attributes(
        replica, [Click(f"pick-{number}"), Click("continue", {option_input(0): True})], storage, ["name", "email"]))
    consent = next(s for s in ui.asked if page_of(s) == "attribute-consent")
    assert "Alice" in consent.markup and DAPP in consent.markup and "email" in consent.markup
    answers = [(m, o) for m, o in dapp.posted if m.get("id") == "attr" or "signerDelegation" in str(m)]
    (attributes, origin), (delegation, _) = answers
    assert origin == DAPP and "signerDelegation" in delegation["result"]
    entries = decoded(attributes["result"])
    assert entries == {"name": {"Text": "Alice"}, "implicit:nonce": {"Blob": NONCE},
                       "implicit:origin": {"Text": DAPP}, "implicit:issued_at_timestamp_ns": entries[
                           "implicit:issued_at_timestamp_ns"]}
    assert base64.b64decode(attributes["result"]["signature"]).startswith(b"\xd9\xd9\xf7")


def test_deny_all_shares_only_the_implicit_entries(replica):
    storage = {}
    number = named_identity(replica, storage, "Alice")
    dapp, ui = asyncio.run(sign_in_with_attributes(
        replica, [Click(f"pick-{number}"), Click("deny-all"), Click("continue")], storage, ["name"]))
    consents = [s for s in ui.asked if page_of(s) == "attribute-consent"]
    assert len(consents) == 2 and "checked" in consents[0].markup and "checked" not in consents[1].markup
    (attributes,) = [m for m, _ in dapp.posted if m.get("id") == "attr"]
    assert set(decoded(attributes["result"])) == {"implicit:nonce", "implicit:origin", "implicit:issued_at_timestamp_ns"}


def test_nothing_to_share_skips_the_screen_and_bad_keys_are_the_dapps_error(replica):
    storage = {}
    number = named_identity(replica, storage, None)
    dapp, ui = asyncio.run(sign_in_with_attributes(replica, [Click(f"pick-{number}")], storage, ["name", "email"]))
    assert "attribute-consent" not in ui.pages
    (attributes,) = [m for m, _ in dapp.posted if m.get("id") == "attr"]
    assert "identity:name" not in decoded(attributes["result"]) and "name" not in decoded(attributes["result"])
    dapp, ui = asyncio.run(sign_in_with_attributes(replica, [Click(f"pick-{number}")], storage, ["phone"]))
    (attributes,) = [m for m, _ in dapp.posted if m.get("id") == "attr"]
    assert attributes["error"] == {"code": 1000, "message": "Attribute sharing failed: ValidationError: Unknown attribute: phone"}
    assert any("signerDelegation" in str(m) for m, _ in dapp.posted)  # the sign-in went on


def test_match_options_as_ii_resolves_keys():
    rows = [("identity:name", b"Alice")]
    assert match_options(["name", "identity:name", "email"], rows) == (
        [Option("identity:name", b"Alice", True), Option("identity:name", b"Alice", False)], ["email"])
