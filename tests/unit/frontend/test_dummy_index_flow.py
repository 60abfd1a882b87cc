"""Dummy auth with `prompt_for_index` (issue 16 item 8): the index typed names a fixed test key, so
index 1 creates one identity and later signs in to that same identity; index 2 is another."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.config import parse_page_config
from app.flows.authenticate import create_identity, start_register, start_sign_in, use_existing
from app.flows.dummy_auth import INDEX_INPUT, credential_id_for_index, parse_index
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakeUi, client_for, make_env, new_session_key, page_of

CAPTCHA = "#captchaInput"


def run(coroutine):
    return asyncio.run(coroutine)


def create(replica, *steps: Click):
    env = make_env(replica, prompt_for_index=True)
    ui = FakeUi([*steps, Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")])
    return run(create_identity(env, ui, start_register(env))), ui


def sign_in_with_index(replica, index: str, *more: Click):
    env = make_env(replica, prompt_for_index=True)
    ui = FakeUi([Click("continue-passkey"), Click("continue-index", {INDEX_INPUT: index}), *more])
    return run(use_existing(env, ui, run(new_session_key()), {})), ui


def test_the_seed_is_the_current_iis():
    # discoverableDummyIdentity.ts: 32 bytes, the index as a big-endian u64 first, zeros after;
    # the credential id is the seed, the key Ed25519 from that seed.
    assert credential_id_for_index(0) == bytes(32)
    assert credential_id_for_index(1) == bytes(7) + b"\x01" + bytes(24)
    assert credential_id_for_index(2**64 - 1) == b"\xff" * 8 + bytes(24)
    with pytest.raises(ValueError):
        credential_id_for_index(2**64)
    from app.flows.authenticate import dummy_device

    seed = credential_id_for_index(258)
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert dummy_device(seed).public_key_der().endswith(raw)


@pytest.mark.parametrize("text,expected", [("1", 1), (" 42 ", 42), ("0", 0), ("-1", "whole number"),
                                           ("x", "whole number"), ("", "whole number"),
                                           (str(2**64), "at most")])
def test_parse_index(text, expected):
    parsed = parse_index(text)
    assert parsed == expected if isinstance(expected, int) else expected in parsed


def test_create_with_an_index_then_sign_in_with_it(replica):
    first, ui = create(replica, Click("continue-index", {INDEX_INPUT: "one"}),
                       Click("continue-index", {INDEX_INPUT: "1"}))
    index_pages = [s for s in ui.asked if page_of(s) == "dummy-auth-index"]
    assert len(index_pages) == 2 and "whole number" in index_pages[1].markup
    assert 'value="one"' in index_pages[1].markup  # what was typed stays in the field
    credentials = run(client_for(replica, first.identity).credentials(first.anchor))
    assert [c.credential_id for c in credentials] == [credential_id_for_index(1)]

    second, _ = create(replica, Click("continue-index", {INDEX_INPUT: "2"}))
    assert second.anchor != first.anchor

    again, ui = sign_in_with_index(replica, "1")
    assert again.anchor == first.anchor and again.device_pubkey == first.device_pubkey
    assert "dummy-auth-index" in ui.pages
    other, _ = sign_in_with_index(replica, "2")
    assert other.anchor == second.anchor


def test_an_index_already_registered_is_explained(replica):
    first, _ = create(replica, Click("continue-index", {INDEX_INPUT: "7"}))
    env = make_env(replica, prompt_for_index=True)
    ui = FakeUi([Click("continue-index", {INDEX_INPUT: "7"}), Click("cancel")])
    assert run(create_identity(env, ui, start_register(env))) is None
    assert f"already the key of identity {first.anchor}" in ui.asked[-1].markup


def test_signing_in_with_an_unused_index_says_so_and_goes_back(replica):
    who, ui = sign_in_with_index(replica, "99", Click("retry"), Click("cancel"))
    assert who is None
    error = next(s for s in ui.asked if page_of(s) == "error")
    assert "No identity here has the test key of index 99" in error.markup
    assert page_of(ui.asked[-1]) == "sign-in"


def test_cancelling_the_index_goes_back_to_the_sign_in_screen(replica):
    env = make_env(replica, prompt_for_index=True)
    ui = FakeUi([Click("continue-passkey"), Click("cancel"), Click("cancel")])
    assert run(use_existing(env, ui, run(new_session_key()), {})) is None
    assert [page_of(s) for s in ui.asked] == ["sign-in", "dummy-auth-index", "sign-in"]
    assert not [s for s in ui.asked if page_of(s) == "error"]


def test_cancelling_the_index_of_a_new_identity_creates_nothing(replica):
    env = make_env(replica, prompt_for_index=True)
    assert run(create_identity(env, FakeUi([Click("cancel")]), start_register(env))) is None


def test_sign_in_by_number_needs_no_index(replica):
    first, _ = create(replica, Click("continue-index", {INDEX_INPUT: "3"}))
    env = make_env(replica, prompt_for_index=True)
    ui = FakeUi([Click("continue-number", {"#userNumberInput": str(first.anchor)})])
    who = run(use_existing(env, ui, run(new_session_key()), {}))
    assert who.anchor == first.anchor and "dummy-auth-index" not in ui.pages


def test_without_prompt_for_index_nothing_is_asked(replica):
    env = make_env(replica)
    started = start_register(env)
    assert started.credential_id is not None  # a fresh random index, as before
    key = run(new_session_key())
    assert "type the identity number" in start_sign_in(env, key, None, [])


def test_the_page_config_carries_it():
    import base64
    import json

    def encoded(value: dict) -> str:
        return base64.b64encode(json.dumps(value).encode()).decode()

    on = parse_page_config("x", encoded({"dummyAuth": True, "dummyAuthPromptForIndex": True}))
    assert on.dummy_auth and on.dummy_auth_prompt_for_index
    # Without dummy auth the prompt means nothing.
    assert not parse_page_config("x", encoded({"dummyAuthPromptForIndex": True})).dummy_auth_prompt_for_index
