"""Naming the identity on the manage page (`app.flows.manage.rename_identity`) under CPython:
scripted clicks, the replica in-process; the name on the page, in the canister and in the
remembered identities ("Continue as")."""

from __future__ import annotations

import asyncio

from app.canister import devices as device_model
from app.canister.devices import IdentityNameError, validate_identity_name
from app.flows.manage import SignedOut, manage
from app.remembered import STORAGE_KEY, Remembered, names, parse_remembered, remember, serialize_remembered
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakeUi, make_env, page_of, register

import pytest

NAME = "#identityNameInput"


def run(coroutine):
    return asyncio.run(coroutine)


def last(ui: FakeUi, page: str) -> str:
    return next(s.markup for s in reversed(ui.shown) if page_of(s) == page)


def name_in_canister(client, anchor):
    return run(client.anchor_info(anchor)).name


def test_validate_identity_name():
    assert validate_identity_name("  Work   laptop ") == "Work laptop"
    assert validate_identity_name("a" * 128) == "a" * 128
    assert validate_identity_name("é" * 64) == "é" * 64
    for bad, words in (("   ", "Type a name"), ("é" * 65, "130 bytes, at most 128"), ("a" * 129, "at most 128")):
        with pytest.raises(IdentityNameError, match=words):
            validate_identity_name(bad)


def test_name_rename_and_remove_shown_on_the_page_and_remembered(replica):
    who, client = register(replica)
    storage = {STORAGE_KEY: serialize_remembered(remember(Remembered(), who.anchor, 1))}
    ui = FakeUi([Click("rename-identity"), Click("save-name", {NAME: " Holiday  <b>laptop</b> "}),
                 Click("rename-identity"), Click("save-name", {NAME: "Work"}),
                 Click("logout")])
    assert run(manage(make_env(replica, storage=storage), ui, who)) == SignedOut()
    first = next(s.markup for s in ui.shown if page_of(s) == "name-identity")
    assert "It has no name yet." in first and 'id="identityNameRemove"' not in first
    page = last(ui, "manage")
    assert '<strong data-role="identity-name">Work</strong>' in page
    assert "This identity is named “Work” now." in page and "Rename this identity" in page
    pages = [s.markup for s in ui.shown if page_of(s) == "manage"]
    assert any("Holiday &lt;b&gt;laptop&lt;/b&gt;" in p for p in pages)  # escaped, spacing collapsed
    assert name_in_canister(client, who.anchor) == "Work"
    assert names(parse_remembered(storage[STORAGE_KEY])) == {who.anchor: "Work"}

    ui = FakeUi([Click("rename-identity"), Click("remove-name"), Click("logout")])
    run(manage(make_env(replica, storage=storage), ui, who))
    assert "It is named “Work” now." in last(ui, "name-identity")
    page = last(ui, "manage")
    assert 'data-role="identity-name"' not in page and "Name this identity" in page
    assert "The identity has no name now." in page
    assert name_in_canister(client, who.anchor) is None
    assert names(parse_remembered(storage[STORAGE_KEY])) == {}


def test_a_bad_name_is_said_before_any_call_and_back_changes_nothing(replica):
    who, client = register(replica)
    run(client.set_name(who.anchor, "Kept"))
    ui = FakeUi([Click("rename-identity"), Click("save-name", {NAME: "x" * 129}), Click("save-name", {NAME: "  "}),
                 Click("back"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    asked = [s.markup for s in ui.shown if page_of(s) == "name-identity"]
    assert ui.pages[:5] == ["busy", "manage", "name-identity", "name-identity", "name-identity"]
    assert "The name is too long: 129 bytes, at most 128" in asked[1]
    assert "x" * 129 in asked[1]  # what was typed stays in the field
    assert "Type a name for this identity" in asked[2]
    assert name_in_canister(client, who.anchor) == "Kept"


def test_the_canister_refusal_is_shown_on_the_name_screen(replica, monkeypatch):
    who, client = register(replica)
    # A page whose own check lets more through than the canister takes: the canister's word counts.
    monkeypatch.setattr(device_model, "IDENTITY_NAME_MAX_BYTES", 1000)
    ui = FakeUi([Click("rename-identity"), Click("save-name", {NAME: "n" * 200}), Click("back"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    refused = [s.markup for s in ui.shown if page_of(s) == "name-identity"][1]
    assert "Internet Identity refused the name: it is too long (at most 128 bytes)." in refused
    assert name_in_canister(client, who.anchor) is None


def test_a_session_of_another_identity_is_refused_on_the_name_screen(replica):
    from ic.agent import Ed25519Identity

    who, client = register(replica)
    stranger = type(who)(who.anchor, Ed25519Identity.generate(), who.authn_method, who.device_pubkey)
    ui = FakeUi([Click("save-name", {NAME: "Mine"}), Click("back")])
    env = make_env(replica)
    from app.flows import manage as flow

    info = run(client.anchor_info(who.anchor))
    outcome = run(flow.rename_identity(env, ui, stranger, info))
    assert outcome is None  # the refusal stays on the name screen; "back" leaves it
    refused = [s.markup for s in ui.shown if page_of(s) == "name-identity"][1]
    assert "not allowed to change this identity" in refused
    assert name_in_canister(client, who.anchor) is None
