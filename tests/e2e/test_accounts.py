"""Multiple accounts per app: from the demo dapps (@dfinity/auth-client and @icp-sdk/auth), create
a second account in the II popup, sign in with it (another principal), sign in with the default
account again (the old principal), rename the second one (the new name shows, the principal stays)."""

from __future__ import annotations

import pytest

from tests.e2e.dapp import click_login, open_dapp, register_new_identity
from tests.pages import accounts, pick_identity


@pytest.mark.parametrize("page", ["", "icrc.html"], ids=["auth-client", "icp-sdk-auth"])
def test_a_second_account_has_its_own_principal(dev_server, context, page):
    url = dev_server.dapp_url(page)
    first = click_login(context, open_dapp(context, url))
    number = register_new_identity(first.popup)
    default = first.principal()

    second = click_login(context, open_dapp(context, url))
    pick_identity(second.ii, number, choose_account=True)
    picker = accounts(second.ii)
    assert picker.names() == ["Primary account"]
    picker.create("Work")
    assert picker.names() == ["Primary account", "Work"]
    picker.use("Work")
    work = second.principal()
    assert work != default

    # Two accounts now: the picker comes by itself; the default account is the old principal.
    third = click_login(context, open_dapp(context, url))
    pick_identity(third.ii, number)
    accounts(third.ii).use("Primary account")
    assert third.principal() == default

    fourth = click_login(context, open_dapp(context, url))
    pick_identity(fourth.ii, number)
    picker = accounts(fourth.ii)
    picker.rename("Work", "Job")
    assert picker.names() == ["Primary account", "Job"]
    picker.use("Job")
    assert fourth.principal() == work
