"""Page objects for the demo dapp and the II popup, built on the DOM contract (DESIGN section 6)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.conftest import wait_ready

TIMEOUT = 60_000


@dataclass
class Login:
    dapp: object
    popup: object

    def principal(self) -> str:
        self.dapp.wait_for_selector("[data-tid=whoami]:not([hidden])", timeout=TIMEOUT)
        principal = self.dapp.text_content("[data-tid=principal]")
        assert self.dapp.text_content("[data-tid=whoami]") == principal, "whoami sees another principal"
        return principal


def open_dapp(context, url: str):
    dapp = context.new_page()
    dapp.goto(url)
    dapp.wait_for_function("document.documentElement.dataset.dappReady === 'true'", timeout=TIMEOUT)
    return dapp


def click_login(context, dapp) -> Login:
    with context.expect_page(timeout=TIMEOUT) as popup:
        dapp.click("[data-tid=login-button]")
    page = popup.value
    assert wait_ready(page) == "ready"
    return Login(dapp, page)


def register_new_identity(popup, captcha: str = "a") -> int:
    """The classic sequence: #registerButton -> captcha -> #userNumber -> #displayUserContinue."""
    popup.click("#registerButton", timeout=TIMEOUT)
    popup.fill("input#captchaInput", captcha, timeout=TIMEOUT)
    popup.click("#confirmRegisterButton")
    number = int(popup.text_content("#userNumber", timeout=TIMEOUT))
    popup.click("#displayUserContinue")
    return number


def register_with_index(popup, index: int, captcha: str = "a") -> int:
    """Dummy auth with `prompt_for_index`: the classic sequence with the index typed after
    #registerButton (#dummyAuthIndexInput + #dummyAuthIndexContinue)."""
    popup.click("#registerButton", timeout=TIMEOUT)
    popup.fill("#dummyAuthIndexInput", str(index), timeout=TIMEOUT)
    popup.click("#dummyAuthIndexContinue")
    popup.fill("input#captchaInput", captcha, timeout=TIMEOUT)
    popup.click("#confirmRegisterButton")
    number = int(popup.text_content("#userNumber", timeout=TIMEOUT))
    popup.click("#displayUserContinue")
    return number


def sign_in_with_index(popup, index: int) -> None:
    """Dummy auth with `prompt_for_index`: "Use existing identity", "Continue with a passkey", the index."""
    popup.click("#loginButton", timeout=TIMEOUT)
    popup.click("[data-role=continue-with-passkey]", timeout=TIMEOUT)
    popup.fill("#dummyAuthIndexInput", str(index), timeout=TIMEOUT)
    popup.click("#dummyAuthIndexContinue")
