"""Multiple accounts per app: an anchor's accounts for one origin and their delegations.

As the real II (`account_management.rs`, `storage/account.rs`): every (anchor, origin) has the
unreserved default account (`account_number = null`), whose principal is the classic
`prepare_delegation` one. `create_account` adds numbered accounts (numbers from one counter for
all anchors); a numbered account's seed is `calculate_account_seed(number, origin)`, so its
principal differs and does not reveal the anchor. Renaming the default account
(`update_account` with null) reserves it: it gets a number but keeps the anchor's seed, becomes
the origin's default account, and is addressed by its number from then on. An anchor has at
most 500 numbered accounts over all origins; names are at most 255 bytes. `last_used` is set
when a delegation is prepared for the account (once its row is stored).

Handlers of `InternetIdentityCanister` (mixed in): the caller must act for the anchor
(`Unauthorized(caller)` otherwise); an origin over 255 bytes traps, as for `prepare_delegation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.delegation import calculate_account_seed, check_frontend_length
from replica.runtime.contract import CallContext, CanisterTrap
from replica.storage.base import AccountRow

if TYPE_CHECKING:
    from replica.canisters.internet_identity.delegation import Delegations
    from replica.canisters.internet_identity.state import State

MAX_ANCHOR_ACCOUNTS = 500
ACCOUNT_NAME_LIMIT = 255


@dataclass(frozen=True)
class Account:
    anchor: int
    origin: str
    row: AccountRow

    def info(self) -> dict:
        return {
            "account_number": wire.opt(self.row.number),
            "origin": self.origin,
            "last_used": wire.opt(self.row.last_used),
            "name": wire.opt(self.row.name),
        }


def synthetic(anchor: int, origin: str) -> Account:
    """The unreserved default account before anything is stored for (anchor, origin)."""
    return Account(anchor, origin, AccountRow(None))


class AccountsApi:
    """Mixed into `InternetIdentityCanister`, which provides these collaborators."""

    state: "State"
    delegations: "Delegations"

    # --- reading ---------------------------------------------------------------------------------

    def _list_accounts(self, anchor: int, origin: str) -> list[Account]:
        check_frontend_length(origin)
        rows = self.state.storage.account_rows(anchor, origin)
        return [Account(anchor, origin, row) for row in rows] or [synthetic(anchor, origin)]

    def _read_account(self, anchor: int, origin: str, number: int | None) -> Account | None:
        """The account, or None if the anchor has no such account for origin (a reserved default
        account is then only addressed by its number)."""
        check_frontend_length(origin)
        rows = self.state.storage.account_rows(anchor, origin)
        if number is None and not rows:
            return synthetic(anchor, origin)
        row = next((r for r in rows if r.number == number), None)
        return None if row is None else Account(anchor, origin, row)

    def _account_seed(self, account: Account, *, query: bool) -> bytes:
        row = account.row
        if row.number is None or row.seed_anchor is not None:
            anchor = account.anchor if row.seed_anchor is None else row.seed_anchor
            return self.delegations.seed(anchor, account.origin, query=query)
        salt = self.delegations.salt_for_query() if query else self.delegations.ensure_salt()
        return calculate_account_seed(salt, row.number, account.origin)

    def _auth(self, ctx: CallContext, number: int):
        return self.state.authenticate(ctx, int(number))

    # --- handlers --------------------------------------------------------------------------------

    def _get_accounts(self, ctx: CallContext, number: int, origin: str) -> list:
        if self._auth(ctx, number) is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        return [{"Ok": [a.info() for a in self._list_accounts(int(number), origin)]}]

    def _create_account(self, ctx: CallContext, number: int, origin: str, name: str) -> list:
        if self._auth(ctx, number) is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        problem = self._check_new_account(int(number), name)
        if problem is not None:
            return [{"Err": {problem: None}}]
        check_frontend_length(origin)
        account_number = self.state.storage.insert_account(int(number), origin, name, reserve_default=False)
        return [{"Ok": Account(int(number), origin, AccountRow(account_number, name)).info()}]

    def _update_account(self, ctx: CallContext, number: int, origin: str, account_number, update: dict) -> list:
        if self._auth(ctx, number) is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        anchor, account_number = int(number), wire.unopt(account_number)
        name = wire.unopt(update.get("name"))
        if name is None:
            return [{"Err": {"InternalCanisterError": "No name was provided."}}]
        problem = self._check_new_account(anchor, name) if account_number is None else _name_problem(name)
        if problem is not None:
            return [{"Err": {problem: None}}]
        account = self._read_account(anchor, origin, account_number)
        if account is None:
            raise CanisterTrap("Updating an unreadable account should be impossible!")
        storage = self.state.storage
        if account_number is None:
            reserved = storage.insert_account(anchor, origin, name, reserve_default=True)
            return [{"Ok": Account(anchor, origin, AccountRow(reserved, name, anchor)).info()}]
        storage.rename_account(anchor, origin, account_number, name)
        row = account.row
        return [{"Ok": Account(anchor, origin, AccountRow(row.number, name, row.seed_anchor, row.last_used)).info()}]

    def _check_new_account(self, anchor: int, name: str) -> str | None:
        """The error of storing one more account named `name`, or None."""
        problem = _name_problem(name)
        if problem is None and self.state.storage.anchor_account_count(anchor) >= MAX_ANCHOR_ACCOUNTS:
            return "AccountLimitReached"
        return problem

    def _get_default_account(self, ctx: CallContext, number: int, origin: str) -> list:
        if self._auth(ctx, number) is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        anchor = int(number)
        default = self.state.storage.default_account(anchor, origin)
        if default is None:
            return [{"Ok": synthetic(anchor, origin).info()}]
        account = self._read_account(anchor, origin, default)
        if account is None:  # only an inconsistent database gets here
            return [{"Err": {"InternalCanisterError":
                             f"Account #{default} does not exist for anchor {anchor} and origin {origin}."}}]
        return [{"Ok": account.info()}]

    def _set_default_account(self, ctx: CallContext, number: int, origin: str, account_number) -> list:
        auth = self._auth(ctx, number)
        if auth is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        anchor, account_number = int(number), wire.unopt(account_number)
        account = synthetic(anchor, origin)
        if account_number is not None:
            account = self._read_account(anchor, origin, account_number)
            if account is None:
                return [{"Err": {"NoSuchAccount": {"anchor_number": anchor, "origin": origin}}}]
        self.state.write_anchor(auth[0])  # records the device's last usage
        self.state.storage.set_default_account(anchor, origin, account_number)
        return [{"Ok": account.info()}]

    def _prepare_account_delegation(self, ctx, number: int, origin: str, account_number, session_key: bytes,
                                    max_ttl) -> list:
        auth = self._auth(ctx, number)
        if auth is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        account = self._read_account(int(number), origin, wire.unopt(account_number))
        if account is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        self.state.write_anchor(auth[0])  # records the device's last usage
        seed = self._account_seed(account, query=False)
        user_key, expiration = self.delegations.prepare_for_seed(ctx, seed, bytes(session_key), wire.unopt(max_ttl))
        self.state.storage.set_account_last_used(int(number), origin, account.row.number, ctx.time_ns)
        return [{"Ok": {"user_key": user_key, "expiration": expiration}}]

    def _get_account_delegation(self, ctx, number: int, origin: str, account_number, session_key: bytes,
                                expiration: int) -> list:
        if self._auth(ctx, number) is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        account = self._read_account(int(number), origin, wire.unopt(account_number))
        if account is None:
            return [{"Err": {"Unauthorized": ctx.caller}}]
        seed = self._account_seed(account, query=True)
        signed = self.delegations.get_for_seed(ctx, seed, bytes(session_key), int(expiration))
        return [{"Err": {"NoSuchDelegation": None}} if signed is None else {"Ok": signed}]


def _name_problem(name: str) -> str | None:
    return "NameTooLong" if len(name.encode()) > ACCOUNT_NAME_LIMIT else None
