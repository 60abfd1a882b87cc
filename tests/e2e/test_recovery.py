"""Recovery methods and recovering an identity in another browser profile, checked in the canister."""

from __future__ import annotations

import re

from app.recovery.phrase import recovery_key_seed
from ic.agent import Ed25519Identity
from tests.e2e import canister
from tests.e2e.conftest import new_profile, swap_authenticator, wait_ready
from tests.e2e.dapp import TIMEOUT
from tests.e2e.test_manage import PASSKEYS, create_identity, wait_message


def add_phrase(page) -> list[str]:
    page.click("#addRecoveryPhrase", timeout=TIMEOUT)
    page.wait_for_selector("[data-role=seed-word]", timeout=TIMEOUT)
    words = [w.strip() for w in page.locator("[data-role=seed-word]").all_text_contents()]
    assert len(words) == 24
    page.click("#seedCopy")
    page.click("#displaySeedPhraseContinue")  # not ticked yet: it says so
    page.wait_for_selector("[data-role=recovery-message]", timeout=TIMEOUT)
    page.check("#ack-checkbox")
    page.click("#displaySeedPhraseContinue")
    inputs = page.locator("[data-position]")
    inputs.first.wait_for(timeout=TIMEOUT)
    positions = [int(inputs.nth(i).get_attribute("data-position")) for i in range(inputs.count())]
    for i, position in enumerate(positions):
        inputs.nth(i).fill("wrong" if i == 0 else words[position])
    page.click("#confirmSeedPhraseButton")
    assert f"word {positions[0] + 1}" in page.text_content("[data-role=recovery-message]", timeout=TIMEOUT)
    inputs.first.fill(words[positions[0]].upper())
    page.click("#confirmSeedPhraseButton")
    wait_message(page, "recovery phrase is saved")
    return words


def phrase_key(words: list[str]) -> Ed25519Identity:
    return Ed25519Identity.from_seed(recovery_key_seed(words))


def test_recovery_phrase_saved_locked_and_used_in_a_new_profile(server, page, browser):
    number = create_identity(page, server.ii_url)
    words = add_phrase(page)
    key = phrase_key(words)
    assert [bytes(k) for k in canister.credentials(server, number)["recovery_phrases"]] == [key.public_key_der()]
    assert page.locator("aside[data-role=recoveries] li[data-device='Recovery phrase']").count() == 1

    page.click("aside[data-role=recoveries] [data-action^=protect]")
    page.fill("#recoveryPhraseInput", " ".join(words[:-1] + ["abandon"]), timeout=TIMEOUT)  # not this phrase
    page.click("#recoveryPhraseContinue")
    page.wait_for_selector("[data-role=recovery-message]", timeout=TIMEOUT)
    page.fill("#recoveryPhraseInput", f"{number}\n" + "   ".join(w.upper() for w in words))
    page.click("#recoveryPhraseContinue")
    wait_message(page, "locked")
    assert canister.anchor_info(server, number, key).recovery_phrase.is_protected
    assert page.locator("aside[data-role=recoveries] [data-role=protected]").count() == 1

    fresh = new_profile(browser)
    try:
        other = fresh.new_page()
        other.goto(server.ii_url)
        assert wait_ready(other) == "ready"
        other.click("#recoverButton", timeout=TIMEOUT)
        other.click("#recoverWithPhrase", timeout=TIMEOUT)
        typo = list(words)
        typo[6] = typo[6][:-1] + ("q" if typo[6][-1] != "q" else "x")
        other.fill("#recoveryPhraseInput", f"{number} " + " ".join(typo), timeout=TIMEOUT)
        other.click("#recoveryPhraseContinue")
        assert f'Word 7, "{typo[6]}"' in other.text_content("[data-role=recovery-message]", timeout=TIMEOUT)
        other.fill("#recoveryPhraseInput", f"{number + 1000} " + " ".join(words))  # another identity's number
        other.click("#recoveryPhraseContinue")
        other.wait_for_selector("[data-role=recovery-message]:has-text('Could not use recovery phrase')",
                                timeout=TIMEOUT)
        other.fill("#recoveryPhraseInput", f"  {number}   " + "  ".join(words).title())
        other.click("#recoveryPhraseContinue")
        other.fill("#pickAliasInput", "New laptop", timeout=TIMEOUT)
        other.click("#pickAliasSubmit")
        other.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
        assert other.locator("li[data-device='New laptop']").count() == 1
        assert len(canister.credentials(server, number)["credentials"]) == 2
    finally:
        fresh.close()


def test_recovery_security_key_added_and_used_in_a_new_profile(server, page, browser):
    number = create_identity(page, server.ii_url)
    swap_authenticator(page, with_passkeys=False, transport="usb", hasResidentKey=False)  # a security key
    page.click("#addRecoveryKey", timeout=TIMEOUT)
    wait_message(page, "security key is added")
    recovery = canister.credentials(server, number)["recovery_credentials"]
    assert len(recovery) == 1
    key_id = bytes(recovery[0]["credential_id"])
    info_row = page.locator("aside[data-role=recoveries] li[data-device='Recovery key']")
    assert "Recovery security key" in info_row.text_content()

    # the new profile has only the security key (plugged in), not the passkey
    fresh = new_profile(browser, [c for c in page.context.__dict__["_ii_passkeys"]
                                  if canister.b64(c["credentialId"]) == key_id])
    try:
        other = fresh.new_page()
        other.goto(server.ii_url)
        assert wait_ready(other) == "ready"
        swap_authenticator(other, transport="usb", hasResidentKey=False)
        other.click("#recoverButton", timeout=TIMEOUT)
        other.click("#recoverWithDevice", timeout=TIMEOUT)
        other.fill("#userNumberInput", str(number), timeout=TIMEOUT)
        other.click("#userNumberContinue")
        other.click("#useRecoveryKey", timeout=TIMEOUT)
        other.click("[data-page=pick-alias] [data-action=back]", timeout=TIMEOUT)  # "Not now"
        other.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
        assert re.fullmatch(str(number), other.text_content("[data-role=anchor]"))
    finally:
        fresh.close()


def test_lost_access_in_a_dapp_popup_recovers_and_authorizes(dev_server, page, browser):
    from tests.e2e.dapp import click_login, open_dapp

    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)

    fresh = new_profile(browser)
    try:
        login = click_login(fresh, open_dapp(fresh, dev_server.dapp_url()))
        login.popup.click("#recoverButton", timeout=TIMEOUT)
        login.popup.click("#recoverWithPhrase", timeout=TIMEOUT)
        login.popup.fill("#recoveryPhraseInput", f"{number} " + " ".join(words), timeout=TIMEOUT)
        login.popup.click("#recoveryPhraseContinue")
        login.popup.click("[data-page=pick-alias] [data-action=back]", timeout=TIMEOUT)  # "Not now"
        assert login.principal()
    finally:
        fresh.close()


def confirm_shown_phrase(page) -> list[str]:
    """On a shown phrase: tick, continue, type back the words asked for."""
    words = [w.strip() for w in page.locator("[data-role=seed-word]").all_text_contents()]
    page.check("#ack-checkbox")
    page.click("#displaySeedPhraseContinue")
    inputs = page.locator("[data-position]")
    inputs.first.wait_for(timeout=TIMEOUT)
    for i in range(inputs.count()):
        inputs.nth(i).fill(words[int(inputs.nth(i).get_attribute("data-position"))])
    page.click("#confirmSeedPhraseButton")
    return words


def test_phrase_reset_and_unlock(dev_server, page):
    number = create_identity(page, dev_server.ii_url)
    old = add_phrase(page)
    page.click("aside[data-role=recoveries] [data-action^=reset]")
    page.wait_for_selector("[data-role=seed-word]", timeout=TIMEOUT)
    new = confirm_shown_phrase(page)
    wait_message(page, "new recovery phrase is saved")
    assert new != old
    assert [bytes(k) for k in canister.credentials(dev_server, number)["recovery_phrases"]] == \
        [phrase_key(new).public_key_der()]

    for action, typed, message, protected in (("protect", new, "locked", True),
                                              ("unprotect", new, "unlocked", False)):
        page.click(f"aside[data-role=recoveries] [data-action^={action}-]")
        page.fill("#recoveryPhraseInput", " ".join(typed), timeout=TIMEOUT)
        page.click("#recoveryPhraseContinue")
        wait_message(page, message)
        assert canister.anchor_info(dev_server, number, phrase_key(new)).recovery_phrase.is_protected is protected


def test_recover_with_the_words_alone_in_a_new_profile(dev_server, page, browser):
    from app.recovery.phrase import generate_phrase

    number = create_identity(page, dev_server.ii_url)
    words = add_phrase(page)
    page.click("#renameIdentity")
    page.fill("#identityNameInput", "Travel", timeout=TIMEOUT)
    page.click("#identityNameSubmit")
    wait_message(page, "is named")

    fresh = new_profile(browser)
    try:
        other = fresh.new_page()
        other.goto(dev_server.ii_url)
        assert wait_ready(other) == "ready"
        other.click("#recoverButton", timeout=TIMEOUT)
        other.click("#recoverWithPhrase", timeout=TIMEOUT)
        other.fill("#recoveryPhraseInput", " ".join(generate_phrase(bytes(32))), timeout=TIMEOUT)  # nobody's
        other.click("#recoveryPhraseContinue")
        other.wait_for_selector("[data-role=recovery-message]:has-text('no identity has this recovery phrase')",
                                timeout=TIMEOUT)
        other.fill("#recoveryPhraseInput", "  ".join(words).upper())  # no number in front
        other.click("#recoveryPhraseContinue")
        title = other.text_content("[data-page=pick-alias] h2", timeout=TIMEOUT)
        assert title == f"You are back in “Travel” (identity {number})"
        other.click("[data-page=pick-alias] [data-action=back]")  # "Not now"
        other.wait_for_selector(PASSKEYS, timeout=TIMEOUT)
        assert other.text_content("[data-role=anchor]") == str(number)
        assert other.text_content("[data-role=identity-name]") == "Travel"
    finally:
        fresh.close()
