"""Dummy auth with `prompt_for_index` (issue 16 item 8): the index typed names a fixed test key, so
index 1 creates one identity and later signs in to that same identity; index 2 is another."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.config import parse_page_config
from app.flows.authenticate import create_identity, start_register, start_sign_in, use_existing
from app.flows.dummy_auth import PROMPT_DEFAULT, PROMPT_TEXT, credential_id_for_index, parse_index
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakePrompt, FakeUi, client_for, make_env, new_session_key, page_of

CAPTCHA = "#captchaInput"


def run(coroutine):
    return asyncio.run(coroutine)


def create(replica, *answers, clicks=()):
    prompt = FakePrompt(answers)
    env = make_env(replica, prompt_for_index=True, prompt=prompt)
    ui = FakeUi([*clicks, Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")])
    return run(create_identity(env, ui, start_register(env))), ui, prompt


def sign_in_with_index(replica, index, *more: Click):
    prompt = FakePrompt([index])
    env = make_env(replica, prompt_for_index=True, prompt=prompt)
    ui = FakeUi([Click("continue-passkey"), *more])
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


@pytest.mark.parametrize("text,expected", [
    ("1", 1), (" 42 ", 42), ("0", 0), ("", 0), ("+3", 3), ("-0", 0), ("0x10", 16), ("0b101", 5), ("0o7", 7),
    ("007", 7), (str(2**64 + 5), 5), (str(2**256 - 1), 2**64 - 1),  # setBigUint64 keeps the low 64 bits
    ("-1", "not negative"), ("x", "not a number"), ("1_0", "not a number"), ("1.5", "not a number"),
    ("+", "not a number"), ("0x", "not a number"), ("\u0663", "not a number"), ("9" * 201, "at most")])
def test_parse_index_reads_what_bigint_reads(text, expected):
    parsed = parse_index(text)
    assert parsed == expected if isinstance(expected, int) else expected in parsed


def test_create_with_an_index_then_sign_in_with_it(replica):
    # A refused answer shows why, and "Type another index" asks the browser's prompt again.
    first, ui, prompt = create(replica, "one", "1", clicks=[Click("retry")])
    assert prompt.asked == [(PROMPT_TEXT, PROMPT_DEFAULT)] * 2 == [("Enter seed index", "0")] * 2
    refused = [s for s in ui.asked if page_of(s) == "dummy-auth-index"]
    assert len(refused) == 1 and "not a number" in refused[0].markup
    credentials = run(client_for(replica, first.identity).credentials(first.anchor))
    assert [c.credential_id for c in credentials] == [credential_id_for_index(1)]

    second, _, _ = create(replica, "2")
    assert second.anchor != first.anchor

    again, ui = sign_in_with_index(replica, "1")
    assert again.anchor == first.anchor and again.device_pubkey == first.device_pubkey
    other, _ = sign_in_with_index(replica, "2")
    assert other.anchor == second.anchor
    # A test helper's 256-bit random index names the key of its low 64 bits, as in the real II.
    big, _, _ = create(replica, str(2**200 + 9))
    nine, _ = sign_in_with_index(replica, "9")
    assert nine.anchor == big.anchor


def test_an_index_already_registered_is_explained(replica):
    first, _, _ = create(replica, "7")
    prompt = FakePrompt(["7"])
    env = make_env(replica, prompt_for_index=True, prompt=prompt)
    ui = FakeUi([Click("cancel")])
    assert run(create_identity(env, ui, start_register(env))) is None
    assert f"already the key of identity {first.anchor}" in ui.asked[-1].markup
    assert page_of(ui.asked[-1]) == "dummy-auth-index"


def test_signing_in_with_an_unused_index_says_so_and_goes_back(replica):
    who, ui = sign_in_with_index(replica, "99", Click("retry"), Click("cancel"))
    assert who is None
    error = next(s for s in ui.asked if page_of(s) == "error")
    assert "No identity here has the test key of index 99" in error.markup
    assert page_of(ui.asked[-1]) == "sign-in"


def test_cancelling_the_prompt_goes_back_to_the_sign_in_screen(replica):
    env = make_env(replica, prompt_for_index=True, prompt=FakePrompt([None]))
    ui = FakeUi([Click("continue-passkey"), Click("cancel")])
    assert run(use_existing(env, ui, run(new_session_key()), {})) is None
    assert [page_of(s) for s in ui.asked] == ["sign-in", "sign-in"]
    assert not [s for s in ui.asked if page_of(s) == "error"]


def test_cancelling_the_prompt_of_a_new_identity_creates_nothing(replica):
    env = make_env(replica, prompt_for_index=True, prompt=FakePrompt([None]))
    assert run(create_identity(env, FakeUi([]), start_register(env))) is None
    assert replica_anchor_count(replica) == 0


def replica_anchor_count(replica) -> int:
    return replica.storage.anchor_count()


def test_sign_in_by_number_needs_no_index(replica):
    first, _, _ = create(replica, "3")
    env = make_env(replica, prompt_for_index=True)  # no_prompt: asking would fail the test
    ui = FakeUi([Click("continue-number", {"#userNumberInput": str(first.anchor)})])
    who = run(use_existing(env, ui, run(new_session_key()), {}))
    assert who.anchor == first.anchor


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
