"""The account picker of the authorize flow: create a second account, sign in with it (another
principal), sign in with the default one again (the old principal), rename; the pure helpers."""

from __future__ import annotations

import asyncio

from app.canister.client import Account
from app.flows.accounts import label_of, needs_picker, picker_screen
from app.remembered import STORAGE_KEY, parse_remembered
from app.ui.screen import Click, data_actions
from tests.unit.frontend.flow_fakes import page_of
from tests.unit.frontend.test_authorize_flow import CAPTCHA, authorize

CHOOSE = "#chooseAccount"
NAME = "#accountName"


def user_key(dapp) -> bytes:
    return bytes(dapp.posted[-1][0]["userPublicKey"])


def test_picker_lists_the_default_first_and_offers_create_and_rename():
    screen = picker_screen("https://dapp.org", [Account(None, None), Account(7, "Work <b>")])
    assert set(screen.actions) == data_actions(screen.markup) == {
        "create", "cancel", "use-default", "rename-default", "use-7", "rename-7"}
    assert screen.markup.index("Primary account") < screen.markup.index("Work &lt;b&gt;")
    assert label_of(Account(3, "Main")) == "Main"
    assert not needs_picker([Account(None, None)], False)
    assert needs_picker([Account(None, None)], True) and needs_picker([Account(None, None), Account(1, "a")], False)


def test_create_an_account_sign_in_with_it_then_with_the_default_again(replica):
    storage = {}
    first, _, _ = asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}),
                                                  Click("continue")], storage))
    default_key = user_key(first)
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number

    # tick "choose an account", create one named Work, use it
    dapp, ui, _ = asyncio.run(authorize(replica, [
        Click(f"pick-{number}", {CHOOSE: True}), Click("create"), Click("save", {NAME: "  "}),
        Click("save", {NAME: "Work"}), Click("use-1")], storage))
    assert [page_of(s) for s in ui.asked] == ["authorize", "choose-account", "account-name", "account-name",
                                               "choose-account"]
    assert "Give the account a name." in ui.asked[3].markup
    assert 'data-account="default"' in ui.asked[4].markup and "Work" in ui.asked[4].markup
    assert dapp.kinds()[-1] == "authorize-client-success"
    work_key = user_key(dapp)
    assert work_key != default_key

    # two accounts now: the picker comes by itself; the default one gives the old principal
    again, ui, _ = asyncio.run(authorize(replica, [Click(f"pick-{number}"), Click("use-default")], storage))
    assert page_of(ui.asked[1]) == "choose-account" and user_key(again) == default_key

    # rename: the new name is shown, the principal stays
    renamed, ui, _ = asyncio.run(authorize(replica, [
        Click(f"pick-{number}"), Click("rename-1"), Click("save", {NAME: "Job"}), Click("use-1")], storage))
    assert 'value="Work"' in ui.asked[2].markup
    assert "Job" in ui.asked[3].markup and "Work" not in ui.asked[3].markup
    assert user_key(renamed) == work_key


def test_cancel_in_the_picker_and_a_refused_name(replica):
    storage = {}
    asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")],
                          storage))
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number
    dapp, ui, _ = asyncio.run(authorize(replica, [
        Click(f"pick-{number}", {CHOOSE: True}), Click("create"), Click("save", {NAME: "x" * 256}),
        Click("cancel")], storage))
    assert "too long" in ui.asked[3].markup and page_of(ui.asked[3]) == "choose-account"
    assert 'data-account="1"' not in ui.asked[3].markup
    assert dapp.kinds() == ["authorize-ready", "authorize-client-failure"]


def test_renaming_the_primary_account_keeps_its_principal(replica):
    storage = {}
    first, _, _ = asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}),
                                                  Click("continue")], storage))
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number
    dapp, ui, _ = asyncio.run(authorize(replica, [
        Click(f"pick-{number}", {CHOOSE: True}), Click("rename-default"), Click("save", {NAME: "Me"}),
        lambda screen: Click(next(a for a in screen.actions if a.startswith("use-")))], storage))
    picker = ui.asked[-1]
    assert "Me" in picker.markup and "Primary account" not in picker.markup
    assert 'data-account="default"' not in picker.markup  # reserved: it has a number now
    assert user_key(dapp) == user_key(first)
