"""The recovery methods of the manage page under CPython (`FakeUi`, the replica in-process): a
phrase added, reset (also while signed in with it), locked and unlocked, a recovery security key."""

from __future__ import annotations

import asyncio
import re

from ic.agent import Ed25519Identity

from app.canister.devices import Device
from app.flows.manage import manage
from app.flows.recovery import phrase_identity, phrase_sign_in
from app.ui.screen import Click, Screen
from tests.unit.frontend.flow_fakes import FakeUi, make_env, page_of, register
from tests.unit.frontend.test_manage_flow import message_of, run_elsewhere

PHRASE = "#recoveryPhraseInput"
ACK = "#ack-checkbox"


def run(coroutine):
    return asyncio.run(coroutine)


class Phrase:
    """The words the phrase screen showed, kept by the script to type them back."""

    words: list[str] = []


def note_words(phrase: Phrase, click: Click):
    def step(screen: Screen) -> Click:
        assert page_of(screen) == "display-seed-phrase"
        phrase.words = re.findall(r'data-role="seed-word">([^<]*)<', screen.markup)
        assert len(phrase.words) == 24
        return click
    return step


def type_back(phrase: Phrase, wrong_first: bool = False):
    def step(screen: Screen) -> Click:
        positions = [int(p) for p in re.findall(r'data-position="(\d+)"', screen.markup)]
        values = {f'[data-position="{p}"]': phrase.words[p] for p in positions}
        if wrong_first:
            values[f'[data-position="{positions[0]}"]'] = "wrong"
        return Click("confirm-words", values)
    return step


def phrase_keys(client, anchor) -> list[bytes]:
    return [bytes(k) for k in run(client.actor.call("get_anchor_credentials", anchor))["recovery_phrases"]]


def add_phrase_script(phrase: Phrase) -> list:
    return [Click("add-phrase"), note_words(phrase, Click("copy")), Click("continue"),
            Click("continue", {ACK: True}), type_back(phrase, wrong_first=True), type_back(phrase)]


def test_add_a_phrase_copied_acknowledged_and_typed_back(replica):
    who, client = register(replica)
    phrase, copied = Phrase(), []
    env = make_env(replica)
    env.copy_text = copied.append
    ui = FakeUi([*add_phrase_script(phrase), Click("logout")])
    run(manage(env, ui, who))
    shown = [s.markup for s in ui.shown]
    assert copied and copied[0].startswith(f"{who.anchor} ") and copied[0].split()[1:] == phrase.words
    assert any("Tick the box" in m for m in shown)
    assert any("Not quite: check word" in m for m in shown)
    assert "Your recovery phrase is saved." in message_of(ui)
    assert phrase_keys(client, who.anchor) == [phrase_identity(phrase.words).public_key_der()]


def test_resetting_the_phrase_signed_in_with_stays_on_the_page(replica):
    who, client = register(replica)
    first = Phrase()
    run(manage(make_env(replica), FakeUi([*add_phrase_script(first), Click("logout")]), who))
    # now signed in elsewhere with that phrase only
    env = make_env(replica)
    as_phrase = run(phrase_sign_in(env, who.anchor, phrase_identity(first.words)))
    second = Phrase()
    ui = FakeUi([Click("reset-1"), note_words(second, Click("continue", {ACK: True})), type_back(second),
                 Click("rename-0"), Click("rename", {"#pickAliasInput": "Still here"}), Click("logout")])
    run(manage(env, ui, as_phrase))
    assert "Could not load your identity" not in " ".join(s.markup for s in ui.shown)
    assert "Renamed to “Still here”." in message_of(ui)
    assert phrase_keys(client, who.anchor) == [phrase_identity(second.words).public_key_der()]


def test_lock_asks_for_the_phrase_then_unlock(replica):
    who, client = register(replica)
    phrase = Phrase()
    run(manage(make_env(replica), FakeUi([*add_phrase_script(phrase), Click("logout")]), who))
    other = " ".join(phrase.words[:-1] + ["abandon"])
    ui = FakeUi([Click("protect-1"), lambda _s: Click("continue", {PHRASE: other}),
                 lambda _s: Click("continue", {PHRASE: f"{who.anchor + 1} " + " ".join(phrase.words)}),
                 lambda _s: Click("continue", {PHRASE: f"{who.anchor} " + " ".join(phrase.words).upper()}),
                 Click("unprotect-1"), Click("back"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    asked = [s.markup for s in ui.shown if page_of(s) == "enter-recovery-phrase"]
    assert "This is not the recovery phrase of this identity." in asked[1]
    assert f"This phrase is for identity {who.anchor + 1}" in asked[2]
    assert any("Your recovery phrase is locked." in s.markup for s in ui.shown)
    assert run(client.anchor_info(who.anchor)).recovery_phrase.is_protected


def test_a_locked_phrase_is_reset_only_with_the_phrase(replica):
    who, client = register(replica)
    phrase = Phrase()
    script = [*add_phrase_script(phrase), Click("protect-1"),
              lambda _s: Click("continue", {PHRASE: " ".join(phrase.words)}), Click("logout")]
    run(manage(make_env(replica), FakeUi(script), who))
    new = Phrase()
    ui = FakeUi([Click("reset-1"), lambda _s: Click("continue", {PHRASE: " ".join(phrase.words)}),
                 note_words(new, Click("continue", {ACK: True})), type_back(new), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert "Your new recovery phrase is saved." in message_of(ui)
    assert phrase_keys(client, who.anchor) == [phrase_identity(new.words).public_key_der()]


def test_a_refused_save_changes_nothing(replica):
    who, client = register(replica)
    phrase = Phrase()
    elsewhere = Device(pubkey=Ed25519Identity.generate().public_key_der(), alias="Recovery phrase",
                       purpose="recovery", key_type="seed_phrase")

    def added_elsewhere_first(screen: Screen) -> Click:
        run_elsewhere(client.add_device(who.anchor, elsewhere))
        return type_back(phrase)(screen)

    ui = FakeUi([Click("add-phrase"), note_words(phrase, Click("continue", {ACK: True})), added_elsewhere_first,
                 Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert 'role="alert" data-role="manage-message">Internet Identity could not do that' in ui.last.markup
    assert phrase_keys(client, who.anchor) == [elsewhere.pubkey]


def test_a_recovery_security_key_with_dummy_auth(replica):
    who, client = register(replica)
    ui = FakeUi([Click("add-recovery-key"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert "Your recovery security key is added." in message_of(ui)
    keys = run(client.anchor_info(who.anchor)).recoveries
    assert [(k.alias, k.key_type) for k in keys] == [("Recovery key", "cross_platform")]
