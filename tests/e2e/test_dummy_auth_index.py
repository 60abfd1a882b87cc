"""Dummy auth with an index per identity (`serve.py --dummy-auth-prompt-for-index`, the II's
`prompt_for_index`): a dapp's test suite signs in as "user 1" and "user 2", two identities with
two principals, and "user 1" again, from a fresh browser, is the first identity again."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import new_profile, start_server, stop_server
from tests.e2e.dapp import click_login, ii, open_dapp, register_with_index, sign_in_with_index


@pytest.fixture(scope="module")
def index_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("replica-index"), "--flavor", "test",
                          "--dummy-auth-prompt-for-index")
    yield server
    stop_server(server)


def test_index_1_and_index_2_are_two_stable_identities(index_server, context, browser):
    assert "dummy_auth=True (prompt for index)" in index_server.log()
    user1 = click_login(context, open_dapp(context, index_server.dapp_url()))
    number1 = register_with_index(user1.popup, 1)
    principal1 = user1.principal()

    user2 = click_login(context, open_dapp(context, index_server.dapp_url("icrc.html")))
    number2 = register_with_index(user2.popup, 2)
    principal2_icrc = user2.principal()
    assert number2 != number1

    fresh = new_profile(browser)  # another browser: nothing remembered, only the index
    try:
        again = click_login(fresh, open_dapp(fresh, index_server.dapp_url()))
        sign_in_with_index(again.popup, 1)
        assert again.principal() == principal1

        other = click_login(fresh, open_dapp(fresh, index_server.dapp_url()))
        sign_in_with_index(other.popup, 2)
        principal2 = other.principal()
        assert principal2 != principal1
        assert principal2 == principal2_icrc  # same dapp origin, same identity: both libraries agree
    finally:
        fresh.close()


def test_a_helper_written_for_the_real_ii_answers_its_prompt(index_server, context, browser):
    # The real II's e2e helper: a random 256-bit index, given to the next dialog of the popup.
    index = int.from_bytes(os.urandom(32), "big")
    asked = []

    def answer(dialog):
        asked.append((dialog.type, dialog.message, dialog.default_value))
        dialog.accept(str(index))

    user = click_login(context, open_dapp(context, index_server.dapp_url()))
    user.popup.once("dialog", answer)
    ii(user.popup).start_registration()
    ii(user.popup).solve_captcha()
    assert asked == [("prompt", "Enter seed index", "0")]
    principal = user.principal()

    fresh = new_profile(browser)
    try:
        again = click_login(fresh, open_dapp(fresh, index_server.dapp_url()))
        sign_in_with_index(again.popup, index % 2**64)  # the key of the low 64 bits, as setBigUint64
        assert again.principal() == principal

        dismissed = click_login(fresh, open_dapp(fresh, index_server.dapp_url()))
        ii(dismissed.popup).click("#loginButton")
        ii(dismissed.popup).click("[data-role=continue-with-passkey]")  # no answer: Playwright dismisses
        ii(dismissed.popup).wait_for("[data-action=continue-passkey]")  # back on the sign-in screen
    finally:
        fresh.close()
