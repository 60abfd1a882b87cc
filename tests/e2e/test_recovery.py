"""Recovery methods and recovering an identity in another browser profile, checked in the canister.
Through the page objects of tests/pages.py."""

from __future__ import annotations

import re

from app.recovery.phrase import recovery_key_seed
from ic.agent import Ed25519Identity
from tests.e2e import canister
from tests.e2e.conftest import new_profile, swap_authenticator
from tests.e2e.dapp import click_login, manage
from tests.e2e.test_manage import create_identity
from tests.engines.drivers import PlaywrightDriver
from tests.pages import II, RECOVERIES


def add_phrase(page) -> list[str]:
    """#addRecoveryPhrase, with the mistakes a person makes on the way: continuing before ticking,
    a wrong word, a right one in capitals."""
    view = manage(page)
    view.click("#addRecoveryPhrase")
    words = view.shown_phrase()
    view.click("#seedCopy")
    view.phrase_shown_continue(tick=False)  # not ticked yet: it says so
    view.recovery_message()
    view.phrase_shown_continue()
    positions = view.asked_positions()
    view.type_back({p: "wrong" if i == 0 else words[p] for i, p in enumerate(positions)})
    view.recovery_message(f"word {positions[0] + 1}")
    view.type_back({positions[0]: words[positions[0]].upper()})
    view.message("recovery phrase is saved")
    return words


def phrase_key(words: list[str]) -> Ed25519Identity:
    return Ed25519Identity.from_seed(recovery_key_seed(words))


def fresh_ii(profile, url: str) -> II:
    """The II page in another browser profile (a new device: nothing remembered, no passkey)."""
    return II(PlaywrightDriver(profile)).open(url)


def test_recovery_phrase_saved_locked_and_used_in_a_new_profile(server, page, browser):
    number = create_identity(page, server.ii_url)
    words = add_phrase(page)
    key = phrase_key(words)
    assert [bytes(k) for k in canister.credentials(server, number)["recovery_phrases"]] == [key.public_key_der()]
    view = manage(page)
    assert view.recoveries() == ["Recovery phrase"]

    view.recovery_action("protect")
    view.submit_phrase(" ".join(words[:-1] + ["abandon"]))  # not this phrase
    view.recovery_message()
    view.submit_phrase(f"{number}\n" + "   ".join(w.upper() for w in words))
    view.message("locked")
    assert canister.anchor_info(server, number, key).recovery_phrase.is_protected
    assert view.count(f"{RECOVERIES} [data-role=protected]") == 1

    fresh = new_profile(browser)
    try:
        other = fresh_ii(fresh, server.ii_url)
        other.start_recovery_with_phrase()
        typo = list(words)
        typo[6] = typo[6][:-1] + ("q" if typo[6][-1] != "q" else "x")
        other.submit_phrase(f"{number} " + " ".join(typo))
        other.recovery_message(f'Word 7, "{typo[6]}"')
        other.submit_phrase(f"{number + 1000} " + " ".join(words))  # another identity's number
        other.recovery_message("Could not use recovery phrase")
        other.submit_phrase(f"  {number}   " + "  ".join(words).title())
        recovered = other.name_this_device("New laptop")
        assert "New laptop" in recovered.passkeys()
        assert len(canister.credentials(server, number)["credentials"]) == 2
    finally:
        fresh.close()


def test_recovery_security_key_added_and_used_in_a_new_profile(server, page, browser):
    number = create_identity(page, server.ii_url)
    swap_authenticator(page, with_passkeys=False, transport="usb", hasResidentKey=False)  # a security key
    view = manage(page)
    view.add_recovery_key()
    recovery = canister.credentials(server, number)["recovery_credentials"]
    assert len(recovery) == 1
    key_id = bytes(recovery[0]["credential_id"])
    assert "Recovery security key" in view.text(f"{RECOVERIES} li[data-device='Recovery key']")

    # the new profile has only the security key (plugged in), not the passkey
    fresh = new_profile(browser, [c for c in page.context.__dict__["_ii_passkeys"]
                                  if canister.b64(c["credentialId"]) == key_id])
    try:
        other = fresh_ii(fresh, server.ii_url)
        swap_authenticator(other.driver.page, transport="usb", hasResidentKey=False)
        other.recover_with_security_key(number)
        recovered = other.name_this_device(None)  # "Not now"
        assert re.fullmatch(str(number), str(recovered.anchor()))
    finally:
        fresh.close()


def test_lost_access_in_a_dapp_popup_recovers_and_authorizes(dev_server, page, browser):
    from tests.e2e.dapp import open_dapp

    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)

    fresh = new_profile(browser)
    try:
        login = click_login(fresh, open_dapp(fresh, dev_server.dapp_url()))
        login.ii.recover_with_phrase(number, words)
        login.ii.skip_naming()  # "Not now": the dapp is signed in
        assert login.principal()
    finally:
        fresh.close()


def confirm_shown_phrase(page) -> list[str]:
    """On a shown phrase: tick, continue, type back the words asked for."""
    view = manage(page)
    words = view.shown_phrase()
    view.confirm_shown_phrase(words)
    return words


def test_phrase_reset_and_unlock(dev_server, page):
    number = create_identity(page, dev_server.ii_url)
    old = add_phrase(page)
    view = manage(page)
    view.recovery_action("reset")
    new = confirm_shown_phrase(page)
    view.message("new recovery phrase is saved")
    assert new != old
    assert [bytes(k) for k in canister.credentials(dev_server, number)["recovery_phrases"]] == \
        [phrase_key(new).public_key_der()]

    for action, typed, message, protected in (("protect", new, "locked", True),
                                              ("unprotect", new, "unlocked", False)):
        view.recovery_action(action)
        view.submit_phrase(" ".join(typed))
        view.message(message)
        assert canister.anchor_info(dev_server, number, phrase_key(new)).recovery_phrase.is_protected is protected


def test_recover_with_the_words_alone_in_a_new_profile(dev_server, page, browser):
    from app.recovery.phrase import generate_phrase

    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)
    view = manage(page)
    view.name_identity("Travel")
    view.message("is named")

    fresh = new_profile(browser)
    try:
        other = fresh_ii(fresh, dev_server.ii_url)
        other.recover_with_phrase(None, generate_phrase(bytes(32)))  # nobody's
        other.recovery_message("no identity has this recovery phrase")
        other.submit_phrase("  ".join(words).upper())  # no number in front
        assert other.recovered_title() == f"You are back in “Travel” (identity {number})"
        recovered = other.name_this_device(None)  # "Not now"
        assert recovered.anchor() == number
        assert recovered.identity_name() == "Travel"
    finally:
        fresh.close()
