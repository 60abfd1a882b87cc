"""Creating an identity and signing in under CPython (`FakeUi`, the replica in-process): the
captcha, the number shown, sign-in by number, by a discoverable passkey, and each failure."""

from __future__ import annotations

import asyncio

import pytest

from app.flows.authenticate import (NOT_READY, SignInError, create_identity, finish_sign_in, start_register, start_sign_in,
                                    use_existing)
from app.passkeys import Assertion, NewCredential, PasskeyError, PasskeyFailure
from app.protocol.request import AuthnMethod
from app.remembered import STORAGE_KEY, parse_remembered
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakeUi, make_env, new_session_key, page_of, register
from tests.unit.ic.soft_authenticator import ES256, SoftAuthenticator

CAPTCHA = "#captchaInput"
NUMBER = "#userNumberInput"


def run(coroutine):
    return asyncio.run(coroutine)


def test_create_an_identity_with_dummy_auth(replica):
    storage = {}
    env = make_env(replica, storage=storage)
    ui = FakeUi([Click("confirm-captcha", {CAPTCHA: "  "}), Click("confirm-captcha", {CAPTCHA: "b"}),
                 Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")])
    who = run(create_identity(env, ui, start_register(env)))
    captchas = [s.markup for s in ui.shown if page_of(s) == "captcha"]
    assert "Type the characters you see." in captchas[1] and "not the right characters" in captchas[2]
    assert page_of(ui.last) == "user-number" and f'id="userNumber" data-role="user-number">{who.anchor}<' in ui.last.markup
    assert who.authn_method is AuthnMethod.PASSKEY
    assert parse_remembered(storage[STORAGE_KEY]).anchors[0].number == who.anchor


def test_create_with_a_real_prompt_retried_in_the_click_after_a_cancel(replica):
    authenticator = SoftAuthenticator(ES256)
    prompts = []

    def start_create(options):
        prompts.append(options)

        async def answer():
            if len(prompts) == 1:
                raise PasskeyError(PasskeyFailure.CANCELLED, "NotAllowedError")
            return NewCredential(authenticator.credential_id, authenticator.attestation_object(),
                                 authenticator.client_data_json(options.challenge, kind="webauthn.create"))
        return answer()

    env = make_env(replica, dummy_auth=False, start_create=start_create)
    ui = FakeUi([Click("retry"), Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")])
    who = run(create_identity(env, ui, start_register(env)))
    assert len(prompts) == 2  # the second one started by the click on "Try again"
    assert "cancelled or timed out" in ui.shown[1].markup
    assert who.device_pubkey is not None


def test_cancel_at_the_captcha_goes_back(replica):
    env = make_env(replica)
    assert run(create_identity(env, FakeUi([Click("cancel")]), start_register(env))) is None


def test_sign_in_by_number_with_dummy_auth(replica):
    who, _ = register(replica)
    env = make_env(replica)
    key = run(new_session_key())
    ui = FakeUi([Click("continue-number", {NUMBER: "ten"}), Click("continue-passkey"),
                 Click("continue-number", {NUMBER: str(who.anchor)})])
    signed_in = run(use_existing(env, ui, key, {}))
    screens = [s.markup for s in ui.shown if page_of(s) == "sign-in"]
    assert "digits only" in screens[1] and "dummy authentication" in screens[2]
    assert signed_in.anchor == who.anchor and signed_in.device_pubkey == who.device_pubkey
    assert signed_in.identity.inner.public_key_der() == key.public_key_der


def test_an_identity_without_a_dummy_key_is_explained(replica):
    env = make_env(replica)
    ui = FakeUi([Click("continue-number", {NUMBER: "99999"}), Click("retry"), Click("cancel")])
    assert run(use_existing(env, ui, run(new_session_key()), {})) is None
    assert "Could not sign in" in ui.shown[2].markup


def passkey_identity(replica):
    """An identity whose passkey is a software authenticator (so `get` can be answered)."""
    authenticator = SoftAuthenticator(ES256)
    env = make_env(replica, dummy_auth=False, start_create=lambda options: created(authenticator, options))
    who = run(create_identity(env, FakeUi([Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")]),
                              start_register(env)))
    return who, authenticator


async def created(authenticator, options):
    return NewCredential(authenticator.credential_id, authenticator.attestation_object(),
                         authenticator.client_data_json(options.challenge, kind="webauthn.create"))


def getter(authenticator, asked):
    def start_get(options):
        asked.append(options.allow_credentials)  # synchronously, in the click

        async def answer():
            data, client, signature = authenticator.assert_challenge(options.challenge)
            return Assertion(authenticator.credential_id, data, client, signature)
        return answer()
    return start_get


def test_sign_in_with_a_discoverable_passkey(replica):
    who, authenticator = passkey_identity(replica)
    asked = []
    env = make_env(replica, dummy_auth=False, start_get=getter(authenticator, asked))
    signed_in = run(use_existing(env, FakeUi([Click("continue-passkey")]), run(new_session_key()), {}))
    assert asked == [()] and signed_in.anchor == who.anchor
    assert signed_in.device_pubkey == who.device_pubkey


def test_a_passkey_of_another_identity_is_refused(replica):
    who, authenticator = passkey_identity(replica)
    other, _ = register(replica)
    env = make_env(replica, dummy_auth=False, start_get=getter(authenticator, []))
    started = start_sign_in(env, run(new_session_key()), other.anchor, [])
    with pytest.raises(SignInError, match=f"not registered for identity {other.anchor}"):
        run(finish_sign_in(env, FakeUi([]), started, {}))
    assert start_sign_in(env, None, who.anchor, []) == NOT_READY


def test_a_keyring_still_preparing_shows_starting_until_its_key_exists(replica):
    """The landing page turns ready before its session key is made: "Use existing" then shows
    "Starting…" until the key exists, never a screen whose buttons answer "still starting"."""
    from app.flows.authenticate import Keyring

    who, _ = register(replica)
    release = asyncio.Event()

    async def slow_key():
        await release.wait()
        return await new_session_key()

    async def go():
        ui = FakeUi([Click("continue-number", {NUMBER: str(who.anchor)})])
        env = make_env(replica, ui=ui)
        env.new_session_key = slow_key
        keyring = Keyring(env)
        keyring.begin()
        waiting = asyncio.ensure_future(keyring.ready(ui))
        await asyncio.sleep(0)
        assert ui.pages == ["busy"] and "Starting" in ui.last.markup and not waiting.done()
        release.set()
        assert await asyncio.wait_for(waiting, 30)  # a hang is a failure
        return ui, await use_existing(env, ui, keyring.session_key, keyring.credentials)

    ui, signed_in = run(go())
    assert signed_in.anchor == who.anchor
    assert NOT_READY not in "".join(s.markup for s in ui.shown)


def test_a_keyring_that_cannot_reach_ii_says_so(replica):
    from app.canister.errors import Unreachable
    from app.flows.authenticate import Keyring

    async def go():
        ui = FakeUi([Click("retry")])
        env = make_env(replica, ui=ui)

        async def unreachable(_identity=None):
            raise Unreachable("the replica did not answer")

        env.ii = unreachable
        return ui, await Keyring(env).ready(ui)

    ui, ready = run(go())
    assert ready is False and "the replica did not answer" in ui.last.markup
