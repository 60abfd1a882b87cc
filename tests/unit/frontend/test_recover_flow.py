""""Lost access?" under CPython (`FakeUi`, the replica in-process): recovering with the phrase or
a recovery security key, each refusal named, then a passkey offered on this device."""

from __future__ import annotations

import asyncio

import pytest

from app.flows.manage import manage
from app.flows.recovery import phrase_identity, recover
from app.passkeys import PasskeyError, PasskeyFailure
from app.protocol.request import AuthnMethod
from app.recovery.phrase import generate_phrase
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakeUi, ScriptEnded, make_env, page_of, register
from tests.unit.frontend.test_recovery_methods_flow import Phrase, add_phrase_script

PHRASE = "#recoveryPhraseInput"
NUMBER = "#userNumberInput"
ALIAS = "#pickAliasInput"


def run(coroutine):
    return asyncio.run(coroutine)


def with_phrase(replica):
    who, client = register(replica)
    phrase = Phrase()
    run(manage(make_env(replica), FakeUi([*add_phrase_script(phrase), Click("logout")]), who))
    return who, client, phrase


def test_recover_with_the_phrase_then_add_a_passkey_here(replica):
    who, client, phrase = with_phrase(replica)
    typo = list(phrase.words)
    typo[6] = typo[6][:-1] + ("q" if typo[6][-1] != "q" else "x")
    ui = FakeUi([Click("phrase"),
                 lambda _s: Click("continue", {PHRASE: "12 " + " ".join(phrase.words[:20])}),
                 lambda _s: Click("continue", {PHRASE: f"{who.anchor} " + " ".join(typo)}),
                 lambda _s: Click("continue", {PHRASE: f"{who.anchor + 1000} " + " ".join(phrase.words)}),
                 lambda _s: Click("continue", {PHRASE: f"  {who.anchor}  " + "  ".join(phrase.words).title()}),
                 Click("create-passkey", {ALIAS: "New laptop"})])
    back_in = run(recover(make_env(replica), ui))
    asked = [s.markup for s in ui.shown if page_of(s) == "enter-recovery-phrase"]
    assert "A recovery phrase has 24 words; this has 20." in asked[1]
    assert 'Word 7, &quot;' in asked[2]
    assert "Could not use recovery phrase" in asked[3]
    assert back_in.anchor == who.anchor and back_in.authn_method is AuthnMethod.RECOVERY
    assert back_in.device_pubkey == phrase_identity(phrase.words).public_key_der()
    assert [d.alias for d in run(client.anchor_info(who.anchor)).passkeys] == ["Passkey", "New laptop"]


def test_not_now_skips_the_passkey_and_back_leaves(replica):
    who, client, phrase = with_phrase(replica)
    ui = FakeUi([Click("phrase"), lambda _s: Click("continue", {PHRASE: f"{who.anchor} " + " ".join(phrase.words)}),
                 Click("back")])
    assert run(recover(make_env(replica), ui)).anchor == who.anchor
    assert len(run(client.anchor_info(who.anchor)).passkeys) == 1
    assert run(recover(make_env(replica), FakeUi([Click("device"), Click("back"), Click("back")]))) is None


def test_recover_with_a_recovery_key_with_dummy_auth(replica):
    who, client = register(replica)
    run(manage(make_env(replica), FakeUi([Click("add-recovery-key"), Click("logout")]), who))
    ui = FakeUi([Click("device"), Click("continue", {NUMBER: "abc"}), Click("continue", {NUMBER: str(who.anchor + 5)}),
                 Click("continue", {NUMBER: str(who.anchor)}), Click("use-key"), Click("back")])
    back_in = run(recover(make_env(replica), ui))
    numbers = [s.markup for s in ui.shown if page_of(s) == "recover-with-device"]
    assert "digits only" in numbers[1]
    assert back_in.anchor == who.anchor and back_in.authn_method is AuthnMethod.RECOVERY
    key = run(client.anchor_info(who.anchor)).recoveries[0]
    assert back_in.device_pubkey == key.pubkey


def test_an_identity_without_a_recovery_key_is_named(replica):
    who, _ = register(replica)
    ui = FakeUi([Click("device"), Click("continue", {NUMBER: str(who.anchor)})])
    with pytest.raises(ScriptEnded):
        run(recover(make_env(replica), ui))
    assert f"Identity {who.anchor} has no recovery security key." in ui.last.markup


def test_a_cancelled_key_prompt_returns_to_the_number(replica):
    who, client = register(replica)
    run(manage(make_env(replica), FakeUi([Click("add-recovery-key"), Click("logout")]), who))
    prompts = []

    def start_get(options):
        prompts.append(options.allow_credentials)

        async def cancelled():
            raise PasskeyError(PasskeyFailure.CANCELLED, "NotAllowedError")
        return cancelled()

    ui = FakeUi([Click("device"), Click("continue", {NUMBER: str(who.anchor)}), Click("use-key"), Click("back"),
                 Click("back")])
    env = make_env(replica, dummy_auth=False, start_get=start_get)
    assert run(recover(env, ui)) is None
    assert len(prompts) == 1 and len(prompts[0]) == 1
    numbers = [s.markup for s in ui.shown if page_of(s) == "recover-with-device"]
    assert "cancelled or timed out" in numbers[1]


def test_recover_with_the_words_alone(replica):
    who, client, phrase = with_phrase(replica)
    run(client.set_name(who.anchor, "Holiday <b>laptop</b>"))
    ui = FakeUi([Click("phrase"), lambda _s: Click("continue", {PHRASE: "  ".join(phrase.words).upper()}),
                 Click("back")])
    back_in = run(recover(make_env(replica), ui))
    assert back_in.anchor == who.anchor and back_in.authn_method is AuthnMethod.RECOVERY
    assert back_in.device_pubkey == phrase_identity(phrase.words).public_key_der()
    offered = next(s for s in ui.shown if page_of(s) == "pick-alias")
    # The identity is named once found, escaped like every value.
    assert f"You are back in “Holiday &lt;b&gt;laptop&lt;/b&gt;” (identity {who.anchor})" in offered.markup
    info = run(client.anchor_info(who.anchor))
    assert len(info.passkeys) == 1 and info.name == "Holiday <b>laptop</b>"  # "Not now": nothing added


def test_words_no_identity_has_are_named_and_the_person_can_try_again(replica):
    who, client, phrase = with_phrase(replica)
    stranger = generate_phrase(bytes(range(32)))  # a valid phrase that no identity holds
    ui = FakeUi([Click("phrase"), lambda _s: Click("continue", {PHRASE: " ".join(stranger)}),
                 lambda _s: Click("continue", {PHRASE: " ".join(phrase.words)}), Click("back")])
    back_in = run(recover(make_env(replica), ui))
    asked = [s.markup for s in ui.shown if page_of(s) == "enter-recovery-phrase"]
    assert "no identity has this recovery phrase" in asked[1]
    assert back_in.anchor == who.anchor
    offered = next(s for s in ui.shown if page_of(s) == "pick-alias")
    assert f"You are back in identity {who.anchor}" in offered.markup  # no name: the number alone


def test_the_number_in_front_still_works_and_must_match(replica):
    who, _, phrase = with_phrase(replica)
    other, _ = register(replica)
    ui = FakeUi([Click("phrase"), lambda _s: Click("continue", {PHRASE: f"{other.anchor} " + " ".join(phrase.words)}),
                 lambda _s: Click("continue", {PHRASE: f"{who.anchor} " + " ".join(phrase.words)}), Click("back")])
    assert run(recover(make_env(replica), ui)).anchor == who.anchor
    asked = [s.markup for s in ui.shown if page_of(s) == "enter-recovery-phrase"]
    assert f"it is not the recovery phrase of identity {other.anchor}" in asked[1]
