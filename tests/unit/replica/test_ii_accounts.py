"""Multiple accounts per app: listing, creating, renaming, the default account, delegations."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.accounts import ACCOUNT_NAME_LIMIT, MAX_ANCHOR_ACCOUNTS
from replica.canisters.internet_identity.delegation import calculate_account_seed, calculate_seed
from replica.runtime.contract import CanisterTrap
from replica.storage import sqlite as sqlite_mod
from tests.unit.replica.test_ii_support import MINUTE, Env, env, new_key, principal_of  # noqa: F401

DAPP = "https://dapp.org"


def info(number=None, name=None, last_used=None, origin=DAPP) -> dict:
    return {"account_number": wire.opt(number), "origin": origin, "last_used": wire.opt(last_used),
            "name": wire.opt(name)}


def signed_in(env):
    number, key = env.register()
    return number, principal_of(key)


def delegate(env, me, number, account, origin=DAPP, session=b"session"):
    """(principal of the account's user key, signed delegation) through the account methods."""
    prepared = env.update(me, "prepare_account_delegation", number, origin, wire.opt(account), session,
                          wire.opt(None))["Ok"]
    signed = env.query(me, "get_account_delegation", number, origin, wire.opt(account), session,
                       prepared["expiration"])
    return principal_of(prepared["user_key"]), signed


def test_account_seed_layout_matches_the_reference():
    salt = bytes(range(32))
    expected = hashlib.sha256(b"\x20" + salt + b"\x09<account>" + b"\x02" + b"12" + b"\x10" + DAPP.encode()).digest()
    assert calculate_account_seed(salt, 12, DAPP) == expected


def test_a_new_identity_has_only_the_unreserved_default_account(env):
    number, me = signed_in(env)
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info()]}
    assert env.query(me, "get_default_account", number, DAPP) == {"Ok": info()}


def test_create_lists_default_first_and_numbers_from_one_counter(env):
    number, me = signed_in(env)
    other, other_me = signed_in(env)
    assert env.update(me, "create_account", number, DAPP, "Work") == {"Ok": info(1, "Work")}
    assert env.update(other_me, "create_account", other, DAPP, "Mine") == {"Ok": info(2, "Mine")}
    assert env.update(me, "create_account", number, DAPP, "Games") == {"Ok": info(3, "Games")}
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info(), info(1, "Work"), info(3, "Games")]}
    assert env.query(other_me, "get_accounts", other, DAPP) == {"Ok": [info(), info(2, "Mine")]}
    assert env.query(me, "get_accounts", number, "https://other.org") == {"Ok": [info(origin="https://other.org")]}


def test_default_account_principal_is_the_classic_one_numbered_ones_differ(env):
    number, me = signed_in(env)
    classic = env.query(me, "get_principal", number, DAPP)
    default, signed = delegate(env, me, number, None)
    assert default.raw == classic.raw
    assert signed["Ok"]["delegation"]["pubkey"] == b"session"
    account = env.update(me, "create_account", number, DAPP, "Work")["Ok"]["account_number"][0]
    work, signed = delegate(env, me, number, account)
    assert work.raw != classic.raw and "Ok" in signed
    salt = env.storage.get_meta("ii.salt")
    from ic.keys import CanisterSigPublicKey

    expected = CanisterSigPublicKey(env.canister.canister_id, calculate_account_seed(salt, account, DAPP)).to_der()
    assert work.raw == principal_of(expected).raw
    # the default account keeps the classic principal once other accounts exist
    assert delegate(env, me, number, None)[0].raw == classic.raw
    # stable: the same account gives the same principal; another origin another one
    assert delegate(env, me, number, account)[0].raw == work.raw
    assert env.update(me, "create_account", number, "https://b.org", "Work")["Ok"]["account_number"] == [account + 1]


def test_renaming_the_default_account_reserves_it_with_the_same_principal(env):
    number, me = signed_in(env)
    classic = env.query(me, "get_principal", number, DAPP)
    env.update(me, "create_account", number, DAPP, "Work")
    reserved = env.update(me, "update_account", number, DAPP, wire.opt(None), {"name": wire.opt("Main")})
    assert reserved == {"Ok": info(2, "Main")}
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info(2, "Main"), info(1, "Work")]}
    assert delegate(env, me, number, 2)[0].raw == classic.raw
    assert env.query(me, "get_default_account", number, DAPP) == {"Ok": info(2, "Main", last_used=env.time)}
    # from now on it is addressed by its number
    prepared = env.update(me, "prepare_account_delegation", number, DAPP, wire.opt(None), b"s", wire.opt(None))
    assert prepared == {"Err": {"Unauthorized": me}}
    with pytest.raises(CanisterTrap, match="Updating an unreadable account should be impossible!"):
        env.update(me, "update_account", number, DAPP, wire.opt(None), {"name": wire.opt("Again")})


def test_reserving_the_default_account_when_nothing_is_stored(env):
    number, me = signed_in(env)
    assert env.update(me, "update_account", number, DAPP, wire.opt(None), {"name": wire.opt("Me")}) == {
        "Ok": info(1, "Me")}
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info(1, "Me")]}


def test_rename_a_numbered_account(env):
    number, me = signed_in(env)
    env.update(me, "create_account", number, DAPP, "Work")
    assert env.update(me, "update_account", number, DAPP, wire.opt(1), {"name": wire.opt("Job")}) == {
        "Ok": info(1, "Job")}
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info(), info(1, "Job")]}


def test_update_account_errors_change_nothing(env):
    number, me = signed_in(env)
    other, other_me = signed_in(env)
    env.update(other_me, "create_account", other, DAPP, "Theirs")  # account 1 is another anchor's
    env.update(me, "create_account", number, DAPP, "Work")  # 2
    before = env.query(me, "get_accounts", number, DAPP)
    assert env.update(me, "update_account", number, DAPP, wire.opt(2), {"name": wire.opt(None)}) == {
        "Err": {"InternalCanisterError": "No name was provided."}}
    too_long = "é" * (ACCOUNT_NAME_LIMIT // 2 + 1)
    assert env.update(me, "update_account", number, DAPP, wire.opt(2), {"name": wire.opt(too_long)}) == {
        "Err": {"NameTooLong": None}}
    with pytest.raises(CanisterTrap, match="unreadable account"):
        env.update(me, "update_account", number, DAPP, wire.opt(1), {"name": wire.opt("Stolen")})
    with pytest.raises(CanisterTrap, match="unreadable account"):
        env.update(me, "update_account", number, "https://b.org", wire.opt(2), {"name": wire.opt("Elsewhere")})
    assert env.update(other_me, "update_account", number, DAPP, wire.opt(2), {"name": wire.opt("x")}) == {
        "Err": {"Unauthorized": other_me}}
    assert env.query(me, "get_accounts", number, DAPP) == before
    assert env.query(other_me, "get_accounts", other, DAPP) == {"Ok": [info(), info(1, "Theirs")]}


def test_create_account_errors(env):
    number, me = signed_in(env)
    stranger = principal_of(new_key())
    assert env.update(stranger, "create_account", number, DAPP, "x") == {"Err": {"Unauthorized": stranger}}
    assert env.update(me, "create_account", number, DAPP, "a" * (ACCOUNT_NAME_LIMIT + 1)) == {
        "Err": {"NameTooLong": None}}
    assert env.update(me, "create_account", number, DAPP, "a" * ACCOUNT_NAME_LIMIT)["Ok"]["account_number"] == [1]
    with pytest.raises(CanisterTrap, match="exceeds the limit of 255 bytes"):
        env.update(me, "create_account", number, "https://" + "a" * 248, "x")
    assert env.query(me, "get_accounts", number, DAPP)["Ok"][1]["account_number"] == [1]


def test_at_most_500_accounts_per_anchor_over_all_origins(env):
    number, me = signed_in(env)
    for i in range(MAX_ANCHOR_ACCOUNTS):
        env.storage.insert_account(number, f"https://app-{i % 7}.org", "n", reserve_default=False)
    assert env.update(me, "create_account", number, DAPP, "one more") == {"Err": {"AccountLimitReached": None}}
    assert env.update(me, "update_account", number, DAPP, wire.opt(None), {"name": wire.opt("x")}) == {
        "Err": {"AccountLimitReached": None}}
    # renaming an existing account is still possible; another anchor is not limited
    assert "Ok" in env.update(me, "update_account", number, "https://app-0.org", wire.opt(1),
                              {"name": wire.opt("renamed")})
    other, other_me = signed_in(env)
    assert "Ok" in env.update(other_me, "create_account", other, DAPP, "fine")
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info()]}


def test_unauthorized_callers_get_their_principal_back(env):
    number, me = signed_in(env)
    stranger = principal_of(new_key())
    err = {"Err": {"Unauthorized": stranger}}
    assert env.query(stranger, "get_accounts", number, DAPP) == err
    assert env.query(stranger, "get_default_account", number, DAPP) == err
    assert env.update(stranger, "set_default_account", number, DAPP, wire.opt(None)) == err
    assert env.update(stranger, "prepare_account_delegation", number, DAPP, wire.opt(None), b"s",
                      wire.opt(None)) == err
    assert env.query(stranger, "get_account_delegation", number, DAPP, wire.opt(None), b"s", 1) == err
    assert env.query(me, "get_accounts", number + 100, DAPP) == {"Err": {"Unauthorized": me}}


def test_set_and_get_default_account(env):
    number, me = signed_in(env)
    other, other_me = signed_in(env)
    env.update(other_me, "create_account", other, DAPP, "Theirs")  # 1
    env.update(me, "create_account", number, DAPP, "Work")  # 2
    assert env.update(me, "set_default_account", number, DAPP, wire.opt(2)) == {"Ok": info(2, "Work")}
    assert env.query(me, "get_default_account", number, DAPP) == {"Ok": info(2, "Work")}
    assert env.query(me, "get_default_account", number, "https://b.org") == {"Ok": info(origin="https://b.org")}
    no_such = {"Err": {"NoSuchAccount": {"anchor_number": number, "origin": DAPP}}}
    assert env.update(me, "set_default_account", number, DAPP, wire.opt(1)) == no_such
    assert env.update(me, "set_default_account", number, DAPP, wire.opt(99)) == no_such
    b_no_such = {"Err": {"NoSuchAccount": {"anchor_number": number, "origin": "https://b.org"}}}
    assert env.update(me, "set_default_account", number, "https://b.org", wire.opt(2)) == b_no_such
    assert env.query(me, "get_default_account", number, DAPP) == {"Ok": info(2, "Work")}
    assert env.update(me, "set_default_account", number, DAPP, wire.opt(None)) == {"Ok": info()}
    assert env.query(me, "get_default_account", number, DAPP) == {"Ok": info()}


def test_delegation_errors_and_expiry(env):
    number, me = signed_in(env)
    other, other_me = signed_in(env)
    theirs = env.update(other_me, "create_account", other, DAPP, "Theirs")["Ok"]["account_number"][0]
    assert env.update(me, "prepare_account_delegation", number, DAPP, wire.opt(theirs), b"s", wire.opt(None)) == {
        "Err": {"Unauthorized": me}}
    assert env.query(me, "get_account_delegation", number, DAPP, wire.opt(theirs), b"s", 1) == {
        "Err": {"Unauthorized": me}}
    prepared = env.update(me, "prepare_account_delegation", number, DAPP, wire.opt(None), b"s",
                          wire.opt(MINUTE))["Ok"]
    assert prepared["expiration"] == env.time + MINUTE
    assert env.query(me, "get_account_delegation", number, DAPP, wire.opt(None), b"other", prepared["expiration"]) == {
        "Err": {"NoSuchDelegation": None}}
    assert "Ok" in env.query(me, "get_account_delegation", number, DAPP, wire.opt(None), b"s", prepared["expiration"])
    # the classic get_delegation finds the same signature: it is the same user key
    assert "signed_delegation" in env.query(me, "get_delegation", number, DAPP, b"s", prepared["expiration"])
    env.time += 2 * MINUTE
    assert env.query(me, "get_account_delegation", number, DAPP, wire.opt(None), b"s", prepared["expiration"]) == {
        "Err": {"NoSuchDelegation": None}}
    with pytest.raises(CanisterTrap, match="exceeds the limit of 255 bytes"):
        env.update(me, "prepare_account_delegation", number, "https://" + "a" * 248, wire.opt(None), b"s",
                   wire.opt(None))


def test_last_used_is_recorded_for_stored_accounts(env):
    number, me = signed_in(env)
    delegate(env, me, number, None)  # nothing stored yet: stays synthetic
    assert env.query(me, "get_accounts", number, DAPP) == {"Ok": [info()]}
    env.update(me, "create_account", number, DAPP, "Work")
    env.time += MINUTE
    delegate(env, me, number, 1)
    t1 = env.time
    env.time += MINUTE
    delegate(env, me, number, None)
    assert env.query(me, "get_accounts", number, DAPP) == {
        "Ok": [info(last_used=env.time), info(1, "Work", last_used=t1)]}


def test_accounts_survive_a_restart(tmp_path):
    first = Env(tmp_path / "ii.db")
    number, key = first.register()
    me = principal_of(key)
    first.update(me, "create_account", number, DAPP, "Work")
    work = delegate(first, me, number, 1)[0]
    first.storage.close()
    second = Env(tmp_path / "ii.db")
    try:
        assert second.query(me, "get_accounts", number, DAPP) == {"Ok": [info(), info(1, "Work", last_used=first.time)]}
        assert delegate(second, me, number, 1)[0].raw == work.raw
        assert second.update(me, "create_account", number, DAPP, "Next")["Ok"]["account_number"] == [2]
    finally:
        second.storage.close()


def test_migration_from_version_6_adds_the_account_tables(tmp_path):
    path = tmp_path / "ii.db"
    first = Env(path)
    number, key = first.register()
    first.storage.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE accounts")
    conn.execute("DROP TABLE account_defaults")
    conn.execute("UPDATE schema_version SET version = 6")
    conn.commit()
    conn.close()
    second = Env(path)
    try:
        assert second.storage.schema_version == sqlite_mod.SCHEMA_VERSION == 7
        me = principal_of(key)
        assert second.update(me, "create_account", number, DAPP, "Work") == {"Ok": info(1, "Work")}
        salt = second.storage.get_meta("ii.salt")
        assert calculate_seed(salt, number, DAPP)  # the salt (and so every classic principal) is kept
    finally:
        second.storage.close()
