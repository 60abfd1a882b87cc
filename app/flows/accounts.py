"""Picking the identity's account for the app in the authorize flow (the real II's "multiple
accounts"): the default account first, pick one, create one with a name, rename one.

The canister lists the accounts (`IIClient.accounts`); the default one (`number` None, the
classic principal) is shown as "Primary account" until it has a name. Renaming it reserves it:
it gets a number and keeps its principal, so after that it is addressed by its number.
"""

from __future__ import annotations

from typing import Optional

from app.canister.client import Account, IIClient
from app.canister.errors import AccountRefused
from app.ui import authorize as screens
from app.ui.screen import Screen, Ui, busy_screen

DEFAULT_LABEL = "Primary account"
NAME = "#accountName"


def key_of(account: Account) -> str:
    return "default" if account.number is None else str(account.number)


def label_of(account: Account) -> str:
    return account.name or (DEFAULT_LABEL if account.number is None else f"Account {account.number}")


def needs_picker(accounts: list[Account], asked: bool) -> bool:
    """Whether to show the picker: asked for, or more than the one account to choose from."""
    return asked or len(accounts) > 1


def picker_screen(origin: str, accounts: list[Account], message: Optional[str] = None) -> Screen:
    keys = [key_of(a) for a in accounts]
    choices = [(key, label_of(a), i == 0) for i, (key, a) in enumerate(zip(keys, accounts))]
    actions = ("create", "cancel", *(f"{verb}-{key}" for key in keys for verb in ("use", "rename")))
    return Screen(screens.render_accounts(origin, choices, message), actions)


def name_screen(origin: str, value: str, *, renaming: bool, message: Optional[str] = None) -> Screen:
    return Screen(screens.render_account_name(origin, value, renaming=renaming, message=message),
                  ("save", "back"), reads=(NAME,))


async def ask_name(ui: Ui, origin: str, value: str, *, renaming: bool) -> Optional[str]:
    """A non-empty account name, or None (back)."""
    message = None
    while True:
        click = await ui.ask(name_screen(origin, value, renaming=renaming, message=message))
        if click.action == "back":
            return None
        value = click.text(NAME).strip()
        if value:
            return value
        message = "Give the account a name."


async def choose_account(ui: Ui, client: IIClient, anchor: int, origin: str,
                         accounts: list[Account]) -> Optional[Account]:
    """The account to sign in with, or None: cancelled."""
    message = None
    while True:
        click = await ui.ask(picker_screen(origin, accounts, message))
        message = None
        verb, _, key = click.action.partition("-")
        if click.action == "cancel":
            return None
        chosen = next((a for a in accounts if key_of(a) == key), None)
        if verb == "use" and chosen is not None:
            return chosen
        renaming = verb == "rename" and chosen is not None
        name = await ask_name(ui, origin, label_of(chosen) if renaming and chosen.name else "", renaming=renaming)
        if name is None:
            continue
        ui.show(busy_screen("Saving the account…"))
        try:
            if renaming:
                await client.rename_account(anchor, origin, chosen.number, name)
            else:
                await client.create_account(anchor, origin, name)
        except AccountRefused as exc:
            message = str(exc)
        accounts = await client.accounts(anchor, origin)
