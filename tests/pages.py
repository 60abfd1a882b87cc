"""Engine-neutral page objects of the II and the demo dapp, built on the classic DOM contract
(DESIGN section 6) and the app's `data-*` hooks, as the real II's `test-e2e/views.ts` has them.

They drive any `tests.engines.drivers` driver (Chromium/Playwright, Firefox/Marionette,
WebKitGTK/Selenium) and wait by polling the page, the same way on every engine. Where a step
differs for an engine without a virtual authenticator (WebKitGTK: the dev flavor's dummy auth) the
page object says so in one place.
"""

from __future__ import annotations

import json
from typing import Any

from tests.engines.drivers import TIMEOUT_S, app_state, text_of, wait

PASSKEYS = "aside[data-role=passkeys] li[data-device]"
RECOVERIES = "aside[data-role=recoveries]"


def q(css: str) -> str:
    return json.dumps(css)


class View:
    """A screen: the driver's current window, with waits that poll the DOM."""

    def __init__(self, driver):
        self.driver = driver

    def visible(self, css: str) -> bool:
        return bool(self.driver.js(
            f"(e => !!e && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length))"
            f"(document.querySelector({q(css)}))"))

    def wait_for(self, css: str, timeout_s: float = TIMEOUT_S) -> None:
        try:
            wait(lambda: self.visible(css), css, timeout_s)
        except AssertionError:
            raise AssertionError(f"[{self.driver.engine}] {css} did not appear; the page shows: "
                                 f"{self.shown()!r}") from None

    def shown(self) -> str:
        try:
            return (self.driver.js("(document.querySelector('#app') || document.body || {}).innerText || ''")
                    or "")[:600]
        except Exception as exc:  # the window closed meanwhile (a dapp closes the II popup)
            return f"(nothing: {type(exc).__name__}: {str(exc)[:200]})"

    def text(self, css: str) -> str:
        self.wait_for(css)
        return text_of(self.driver, css)

    def texts(self, css: str) -> list[str]:
        return self.driver.js(f"[...document.querySelectorAll({q(css)})].map(e => e.textContent.trim())")

    def count(self, css: str) -> int:
        return self.driver.js(f"document.querySelectorAll({q(css)}).length")

    def attr(self, css: str, name: str) -> str | None:
        return self.driver.js(f"(e => e && e.getAttribute({q(name)}))(document.querySelector({q(css)}))")

    def click(self, css: str) -> None:
        self.wait_for(css)
        self.driver.click(css)

    def fill(self, css: str, value: str) -> None:
        self.wait_for(css)
        self.driver.fill(css, value)

    def wait_text(self, css: str, needle: str) -> str:
        """Waits until `css` shows `needle` (case-sensitive); returns its text."""
        try:
            return wait(lambda: (lambda t: t if t and needle in t else None)(text_of(self.driver, css)),
                        f"{css} to say {needle!r}")
        except AssertionError:
            raise AssertionError(f"[{self.driver.engine}] {css} never said {needle!r}; the page shows: "
                                 f"{self.shown()!r}") from None


class PhraseEntry(View):
    """The recovery phrase field (#recoveryPhraseInput): recovering at the II, or confirming the
    phrase on the manage page before locking, unlocking or resetting it."""

    def submit_phrase(self, typed: str) -> None:
        self.fill("#recoveryPhraseInput", typed)
        self.click("#recoveryPhraseContinue")

    def recovery_message(self, needle: str = "") -> str:
        return self.wait_text("[data-role=recovery-message]", needle)


class II(PhraseEntry):
    """The II page at `/` (or in a dapp's popup): landing, create, sign in, recover."""

    def open(self, url: str) -> "II":
        self.driver.goto(url)
        assert app_state(self.driver) == "ready", f"[{self.driver.engine}] the page did not boot"
        return self

    def create_identity(self, captcha: str = "a") -> int:
        """The classic sequence: #registerButton -> (passkey) -> captcha -> #userNumber -> continue."""
        self.start_registration()
        return self.solve_captcha(captcha)

    def start_registration(self) -> None:
        self.click("#registerButton")

    # Dummy auth with `prompt_for_index` (serve.py --dummy-auth-prompt-for-index): identity n of a
    # dapp's test suite. As in the real II, the index is asked with window.prompt("Enter seed
    # index", "0") after #registerButton or "Continue with a passkey"; the answer is armed before
    # the click, as the real II's own test helper does (`page.once("dialog", d => d.accept(n))`).
    def create_identity_as(self, index: "int | str", captcha: str = "a") -> int:
        self.driver.answer_next_prompt(str(index))
        self.start_registration()
        return self.solve_captcha(captcha)

    def sign_in_as(self, index: "int | str") -> None:
        self.click("#loginButton")
        self.driver.answer_next_prompt(str(index))
        self.click("[data-role=continue-with-passkey]")

    def solve_captcha(self, captcha: str = "a") -> int:
        """The captcha screen: types `captcha`; then the new identity's number, and "Continue"."""
        self.submit_captcha(captcha)
        number = int(self.text("#userNumber"))
        self.click("#displayUserContinue")
        return number

    def submit_captcha(self, captcha: str) -> None:
        self.fill("input#captchaInput", captcha)
        self.click("#confirmRegisterButton")

    def captcha_message(self) -> str:
        return self.text("[data-role=captcha-message]")

    def retry(self) -> None:
        """The error screen's primary button (a new prompt, started by this click)."""
        self.click("#displayErrorPrimary")

    def sign_in(self, number: int) -> None:
        """#loginButton, then the passkey (discoverable: the browser offers it) or, with dummy
        auth, the identity number."""
        self.click("#loginButton")
        if self.driver.passkeys:
            self.click("[data-role=continue-with-passkey]")
        else:
            self.sign_in_by_number_form(number)

    def sign_in_by_number(self, number: int) -> None:
        self.click("#loginButton")
        self.sign_in_by_number_form(number)

    def sign_in_by_number_form(self, number: int) -> None:
        self.fill("#userNumberInput", str(number))
        self.click("#userNumberContinue")

    def error(self) -> str:
        return self.text("#errorContainer")

    # The authorize screen: who asks (its origin) and how its /.well-known/ii-app-metadata presents it.
    APP_METADATA = "[data-page=authorize] [data-role=app-metadata]"

    def requesting_origin(self) -> str:
        return self.text("[data-page=authorize] [data-role=requesting-origin]")

    def app_name(self) -> str:
        """Waits for the dapp's metadata to arrive (it is filled into the screen when it comes)."""
        return self.text(f"{self.APP_METADATA} [data-role=app-name]")

    def app_description(self) -> str:
        return self.text(f"{self.APP_METADATA} [data-role=app-description]")

    def app_logo(self) -> str | None:
        self.wait_for(f"{self.APP_METADATA} [data-role=app-logo]")
        return self.attr(f"{self.APP_METADATA} [data-role=app-logo]", "src")

    def app_metadata_shown(self) -> bool:
        """Whether the screen's slot for the dapp's metadata holds anything (it is empty without)."""
        return bool(self.driver.js(f"(e => !!e && e.childElementCount > 0)(document.querySelector({q(self.APP_METADATA)}))"))

    def redraw_request(self) -> None:
        """To the sign-in screen and back: the request screen drawn again from what the page knows."""
        self.click("#loginButton")
        self.click("[data-page=sign-in] [data-action=cancel]")
        self.wait_for("[data-page=authorize] [data-role=requesting-origin]")

    def recover_with_phrase(self, number: int | None, words: list[str]) -> None:
        """#recoverButton -> #recoverWithPhrase -> the words, after the number if one is given."""
        self.start_recovery_with_phrase()
        self.submit_phrase(("" if number is None else f"{number} ") + " ".join(words))

    def start_recovery_with_phrase(self) -> None:
        self.click("#recoverButton")
        self.click("#recoverWithPhrase")

    def recovered_title(self) -> str:
        """After a recovery, the name-this-device screen's title (it says which identity it is)."""
        return self.text("[data-page=pick-alias] h2")

    def recover_with_security_key(self, number: int) -> None:
        self.click("#recoverButton")
        self.click("#recoverWithDevice")
        self.fill("#userNumberInput", str(number))
        self.click("#userNumberContinue")
        self.click("#useRecoveryKey")

    def skip_naming(self) -> None:
        """"Not now" on the name-this-device screen (in a dapp's popup: the dapp is signed in)."""
        self.click("[data-page=pick-alias] [data-action=back]")

    def forget(self, number: int) -> None:
        """"Not you? Forget an identity on this device", then that identity."""
        self.click("[data-role=forget-identities] summary")
        self.click(f'[data-action="forget-{number}"]')

    def name_this_device(self, alias: str | None) -> "Manage":
        """After a recovery: name the new passkey of this device, or "Not now" (None)."""
        if alias is None:
            self.skip_naming()
        else:
            self.fill("#pickAliasInput", alias)
            self.click("#pickAliasSubmit")
        return Manage(self.driver).ready()


class Accounts(View):
    """The authorize flow's account picker ([data-role=accounts]): the identity's accounts for
    the dapp, the default one first ("Primary account" until it is named)."""

    def names(self) -> list[str]:
        self.wait_for("[data-role=accounts]")
        return self.texts("[data-role=accounts] [data-role=account-name]")

    def _key(self, name: str) -> str:
        find = ("(n => { for (const e of document.querySelectorAll('[data-role=accounts] [data-role=account]'))"
                " if (e.querySelector('[data-role=account-name]').textContent.trim() === n)"
                " return e.dataset.account; return null; })")
        return wait(lambda: self.driver.js(f"{find}({q(name)})"), f"[{self.driver.engine}] the account {name!r}")

    def use(self, name: str) -> None:
        self.click(f'[data-role=account][data-account="{self._key(name)}"] [data-action^="use-"]')

    def create(self, name: str) -> None:
        self.click("#createAccount")
        self._save_name(name)
        self._key(name)

    def rename(self, name: str, new: str) -> None:
        self.click(f'[data-role=account][data-account="{self._key(name)}"] [data-action^="rename-"]')
        self._save_name(new)
        self._key(new)

    def _save_name(self, name: str) -> None:
        self.fill("#accountName", name)
        self.click("#saveAccountName")


class Manage(PhraseEntry):
    """The manage page: passkeys, recovery methods, sign out."""

    def ready(self) -> "Manage":
        self.wait_for(PASSKEYS)
        return self

    def anchor(self) -> int:
        return int(self.text("[data-role=anchor]"))

    def passkeys(self) -> list[str]:
        return self.driver.js(f"[...document.querySelectorAll({q(PASSKEYS)})].map(e => e.dataset.device)")

    def message(self, needle: str, page: str | None = None) -> str:
        scope = f"[data-page={page}] " if page else ""
        return self.wait_text(f"{scope}[data-role=manage-message]", needle)

    def identity_name(self) -> str | None:
        return self.text("[data-role=identity-name]") if self.count("[data-role=identity-name]") else None

    def name_identity(self, name: str) -> None:
        """#renameIdentity -> the name -> #identityNameSubmit (the answer: `message(...)`)."""
        self.click("#renameIdentity")
        self.retry_name(name)

    def retry_name(self, name: str) -> None:
        self.fill("#identityNameInput", name)
        self.click("#identityNameSubmit")

    def remove_identity_name(self) -> None:
        self.click("#renameIdentity")
        self.click("#identityNameRemove")

    def current_device(self) -> str:
        return self.attr("li:has([data-role=current-device])", "data-device")

    def start_adding_this_device(self, alias: str) -> None:
        self.click("#addAdditionalDevice")
        self.click("#addThisDevice")
        self.fill("#pickAliasInput", alias)
        self.click("#pickAliasSubmit")

    def retry_alias(self) -> None:
        self.click("#pickAliasSubmit")

    def rename(self, alias: str, new: str) -> None:
        self.click(f"{PASSKEYS}[data-device={q(alias)}] [data-action^=rename]")
        self.fill("#pickAliasInput", new)
        self.click("#pickAliasSubmit")
        self.message("Renamed")

    def start_removing(self, alias: str) -> None:
        self.click(f"{PASSKEYS}[data-device={q(alias)}] [data-action^=remove]")

    def confirm_removal(self, typed: str) -> None:
        self.fill("#confirmRemoveDeviceAlias", typed)
        self.click("#confirmRemoveDeviceButton")

    def remove(self, alias: str, typed: str | None = None) -> None:
        self.start_removing(alias)
        self.confirm_removal(alias if typed is None else typed)

    def acknowledge_notice(self) -> None:
        self.click("#manageNoticeContinue")

    # -- adding a passkey from another device ------------------------------------------------

    def offer_link(self, which: str = "add-device-link") -> str:
        """#addAnotherDevice: the link (`which`: the current one, or `add-device-link-classic`), with
        its QR code and countdown."""
        self.click("#addAdditionalDevice")
        self.click("#addAnotherDevice")
        self.wait_for(f"[data-role={which}]")
        assert self.count("svg.qr") == 1 and self.count("[data-role=countdown]") == 1
        return self.attr(f"[data-role={which}]", "href")

    def cancel_offer(self) -> "Manage":
        self.click("[data-page=add-device-offer] [data-action=cancel]")
        return self.ready()

    def verify_code(self, code: str) -> None:
        self.fill("#tentativeDeviceCode", code)
        self.click("#verifyDevice")

    def verify_message(self) -> str:
        return self.text("[data-role=verify-message]")

    def sign_out(self) -> II:
        self.click("#logoutButton")
        II(self.driver).wait_for("#registerButton")
        return II(self.driver)

    # -- recovery methods --------------------------------------------------------------------

    def add_recovery_phrase(self) -> list[str]:
        """#addRecoveryPhrase -> the words -> #seedCopy -> tick -> type back the words asked for."""
        self.click("#addRecoveryPhrase")
        words = self.shown_phrase()
        self.click("#seedCopy")
        self.confirm_shown_phrase(words)
        self.message("recovery phrase is saved")
        return words

    def shown_phrase(self) -> list[str]:
        """The 24 words of a phrase being shown (a new one, or a reset's)."""
        self.wait_for("[data-role=seed-word]")
        words = self.texts("[data-role=seed-word]")
        assert len(words) == 24, words
        return words

    def phrase_shown_continue(self, tick: bool = True) -> None:
        if tick:
            self.click("#ack-checkbox")
        self.click("#displaySeedPhraseContinue")

    def asked_positions(self) -> list[int]:
        """The positions (0-based) of the words to type back."""
        self.wait_for("[data-position]")
        return self.driver.js("[...document.querySelectorAll('[data-position]')].map(e => +e.dataset.position)")

    def type_back(self, typed: dict[int, str]) -> None:
        for position, word in typed.items():
            self.fill(f"[data-position='{position}']", word)
        self.click("#confirmSeedPhraseButton")

    def confirm_shown_phrase(self, words: list[str]) -> None:
        """Ticks, continues, and types back the words asked for."""
        self.phrase_shown_continue()
        self.type_back({position: words[position] for position in self.asked_positions()})

    def recovery_action(self, action: str) -> None:
        """A button of the recovery phrase's row: `protect`, `unprotect`, `reset`."""
        self.click(f"{RECOVERIES} [data-action^={action}-]")

    def add_recovery_key(self) -> None:
        self.click("#addRecoveryKey")
        self.message("security key is added")

    def recoveries(self) -> list[str]:
        return self.driver.js(f"[...document.querySelectorAll({q(RECOVERIES + ' li[data-device]')})]"
                              ".map(e => e.dataset.device)")


class NewDevice(View):
    """The new device's side of "add a passkey from another device": the link opened there."""

    def name_device(self, alias: str) -> str:
        """Names the new passkey (created at this click); returns the code to type on the old device."""
        self.submit_name(alias)
        code = self.text("#verificationCode")
        assert len(code) == 6 and code.isdigit(), code
        return code

    def submit_name(self, alias: str) -> None:
        self.fill("#pickAliasInput", alias)
        self.click("#addDeviceContinue")

    def sign_in(self) -> Manage:
        self.click("#addDeviceSignIn")
        return Manage(self.driver).ready()

    def link_problem(self) -> str:
        return self.text("[data-role=link-problem]")


class AttributeConsent(View):
    """The attribute consent screen in the II popup (`ii-icrc3-attributes`): one tick box per
    attribute the identity can share, "Deny all", "Continue"."""

    PAGE = "[data-page=attribute-consent]"

    def ready(self) -> "AttributeConsent":
        self.wait_for(self.PAGE)
        return self

    def requested(self) -> str:
        return self.text("[data-role=attributes-requested]")

    def options(self) -> list[tuple[str, str, bool]]:
        """(attribute, value shown, ticked) per row."""
        return [tuple(row) for row in self.driver.js(
            "[...document.querySelectorAll('[data-role=attribute-option]')].map(e => "
            "[e.dataset.attribute, e.querySelector('.attribute-value').textContent, e.querySelector('input').checked])")]

    def unavailable(self) -> str:
        return self.text("[data-role=attributes-unavailable]")

    def deny_all(self) -> "AttributeConsent":
        """"Deny all": the screen is drawn again with every box unticked (waited for: the screen
        before the click has the same page marker)."""
        self.click("[data-role=consent-deny-all]")
        wait(lambda: not self.driver.js(
            "[...document.querySelectorAll('[data-role=attribute-option] input')].some(i => i.checked)"),
            "every attribute unticked")
        return self.ready()

    def share(self) -> None:
        self.click("[data-role=consent-continue]")


class Pairing(View):
    """Signing in from another device, started on the new device (the landing page's button)."""

    def start(self) -> str:
        """The link the new device shows for the signed-in one (with its QR code and countdown)."""
        self.click("[data-page=landing] [data-action=pair]")
        self.wait_for("[data-role=pair-link]")
        assert self.count("[data-page=pair-start] svg.qr") == 1 and self.count("[data-role=countdown]") == 1
        return self.attr("[data-role=pair-link]", "href")

    def code(self) -> str:
        code = self.text("[data-role=pair-code]")
        assert len(code) == 6 and code.isdigit(), code
        return code

    def create_passkey(self, alias: str) -> Manage:
        """Once the other device confirmed: this device's passkey, and signed in with it."""
        self.fill("[data-page=pair-passkey] #pickAliasInput", alias)
        self.click("[data-page=pair-passkey] [data-action=create-passkey]")
        return Manage(self.driver).ready()

    def problem(self) -> str:
        return self.text("[data-role=pair-problem]")


class Activate(View):
    """The signed-in device's side: the new device's `/activate#<id>` link opened there."""

    def sign_in(self) -> None:
        self.click("[data-page=activate] [data-action=sign-in]")
        self.click("[data-role=continue-with-passkey]")
        self.wait_for("[data-page=activate-waiting]")

    def verify_code(self, code: str) -> None:
        Manage(self.driver).verify_code(code)

    def verify_message(self) -> str:
        return Manage(self.driver).verify_message()

    def done(self) -> Manage:
        self.wait_for("[data-role=activate-done]")
        self.click("[data-page=activate-done] [data-action=continue]")
        return Manage(self.driver).ready()


class Dapp(View):
    """The whoami demo dapp (`@dfinity/auth-client` at `/`, `@icp-sdk/auth` at `icrc.html`)."""

    def open(self, url: str) -> "Dapp":
        self.driver.goto(url)
        self.window = self.driver.current
        wait(lambda: self.driver.js("document.documentElement.dataset.dappReady") == "true",
             f"[{self.driver.engine}] the dapp to be ready")
        return self

    def login(self) -> II:
        """Clicks the login button; switches to the II popup once it is ready."""
        before = set(self.driver.windows())
        self.click("[data-tid=login-button]")
        (popup,) = wait(lambda: set(self.driver.windows()) - before, f"[{self.driver.engine}] the II popup")
        self.driver.switch(popup)
        assert app_state(self.driver) == "ready", f"[{self.driver.engine}] the II popup did not boot"
        return II(self.driver)

    def principal(self) -> str:
        """Back on the dapp: the principal it got, and whoami (the replica) agrees."""
        self.driver.switch(self.window)
        whoami = self.text("[data-tid=whoami]")
        assert whoami == text_of(self.driver, "[data-tid=principal]"), "whoami sees another principal"
        return whoami


def pick_identity(popup: II, number: int, *, choose_account: bool = False) -> None:
    """On the authorize screen: the remembered identity's button (signs in and authorizes);
    `choose_account` ticks "Choose or create an account for this app" first."""
    if choose_account:
        popup.click("#chooseAccount")
    popup.click(f'[data-anchor-id="{number}"]')


def accounts(popup: II) -> Accounts:
    """The account picker in the II popup."""
    return Accounts(popup.driver)


def new_passkey_ids(exported: list[dict[str, Any]]) -> set[str]:
    return {p["credentialId"] for p in exported}
