"""lookup_caller_identity_by_recovery_phrase: the recovery-phrase principal index, kept in step
with every device change and built for the anchors of a version 5 database."""

from __future__ import annotations

import sqlite3

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterReject
from replica.storage import sqlite as sqlite_mod
from tests.unit.replica.test_ii_support import (  # noqa: F401
    Env,
    anonymous,
    authn_method,
    device,
    env,
    new_key,
    principal_of,
)


def phrase_device(pubkey: bytes, **kw) -> dict:
    return device(pubkey, "Recovery phrase", purpose="recovery", key_type="seed_phrase", **kw)


def lookup(env, caller):
    return wire.unopt(env.update(caller, "lookup_caller_identity_by_recovery_phrase"))


def test_the_phrase_finds_its_identity(env):
    number, key = env.register()
    phrase = new_key("phrase")
    env.update(principal_of(key), "add", number, phrase_device(phrase))
    assert lookup(env, principal_of(phrase)) == number
    assert lookup(env, principal_of(key)) is None  # a passkey is not a recovery phrase
    assert lookup(env, principal_of(new_key())) is None
    assert lookup(env, anonymous()) is None


def test_only_seed_phrase_devices_are_indexed(env):
    number, key = env.register()
    recovery_key = new_key("security key")
    env.update(principal_of(key), "add", number,
               device(recovery_key, "Recovery key", purpose="recovery", key_type="cross_platform", credential_id=b"rk"))
    assert lookup(env, principal_of(recovery_key)) is None


def test_is_an_update_method(env):
    with pytest.raises(CanisterReject, match="is an update method"):
        env.query(anonymous(), "lookup_caller_identity_by_recovery_phrase")


def test_the_index_follows_remove_replace_and_v2_changes(env):
    number, key = env.register()
    me = principal_of(key)
    old, new = new_key("old"), new_key("new")
    env.update(me, "add", number, phrase_device(old))
    env.update(me, "replace", number, old, phrase_device(new))  # a reset of the phrase
    assert lookup(env, principal_of(old)) is None
    assert lookup(env, principal_of(new)) == number
    env.update(me, "remove", number, new)
    assert lookup(env, principal_of(new)) is None
    v2 = new_key("v2")
    method = authn_method(v2, alias="Recovery phrase", purpose="Recovery",
                          extra={"usage": {"String": "recovery_phrase"}})
    assert env.update(me, "authn_method_add", number, method) == {"Ok": None}
    assert lookup(env, principal_of(v2)) == number
    assert env.update(me, "authn_method_remove", number, v2) == {"Ok": None}
    assert lookup(env, principal_of(v2)) is None


def test_a_phrase_registered_as_the_first_device_is_indexed(env):
    phrase = new_key("first")
    number, _ = env.register(phrase, alias="Recovery phrase", purpose="recovery", key_type="seed_phrase")
    assert lookup(env, principal_of(phrase)) == number


def test_a_refused_change_leaves_the_index(env):
    number, key = env.register()
    me = principal_of(key)
    phrase = new_key("locked")
    env.update(me, "add", number, phrase_device(phrase, protection="protected"))
    from replica.runtime.contract import CanisterTrap

    with pytest.raises(CanisterTrap, match="Device is locked"):
        env.update(me, "remove", number, phrase)  # only the phrase itself may remove it
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(principal_of(new_key()), "remove", number, phrase)
    assert lookup(env, principal_of(phrase)) == number


def _as_version_5(path) -> None:
    """Turn a current database into what the previous release wrote: no principal index."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE recovery_phrase_principals")
    conn.execute("UPDATE schema_version SET version = 5")
    conn.commit()
    conn.close()


def test_migration_from_version_5_builds_the_index(tmp_path):
    path = tmp_path / "ii.db"
    first = Env(path)
    a, key_a = first.register()
    b, key_b = first.register()
    c, _ = first.register()
    phrase_a, phrase_b = new_key("a"), new_key("b")
    first.update(principal_of(key_a), "add", a, phrase_device(phrase_a))
    first.update(principal_of(key_b), "add", b, phrase_device(phrase_b))
    first.storage.close()
    _as_version_5(path)

    second = Env(path)
    try:
        assert second.storage.schema_version == sqlite_mod.SCHEMA_VERSION == 7
        assert lookup(second, principal_of(phrase_a)) == a
        assert lookup(second, principal_of(phrase_b)) == b
        assert lookup(second, principal_of(key_a)) is None
        assert second.storage.read_anchor(c).recovery_phrase_principals == ()
        # The migrated index is kept in step like a new one.
        second.update(principal_of(key_a), "remove", a, phrase_a)
        assert lookup(second, principal_of(phrase_a)) is None
    finally:
        second.storage.close()


def test_a_phrase_on_two_anchors_of_an_old_database_answers_the_lowest(tmp_path):
    path = tmp_path / "ii.db"
    first = Env(path)
    a, key_a = first.register()
    b, key_b = first.register()
    phrase = new_key("shared")
    first.update(principal_of(key_b), "add", b, phrase_device(phrase))
    first.storage.close()
    # An earlier release let the same phrase join anchor `a` too: copy b's record into a.
    conn = sqlite3.connect(path)
    (data_b,) = conn.execute("SELECT data FROM anchors WHERE number = ?", (b,)).fetchone()
    conn.execute("UPDATE anchors SET data = ? WHERE number = ?", (data_b, a))
    conn.commit()
    conn.close()
    _as_version_5(path)
    second = Env(path)
    try:
        assert lookup(second, principal_of(phrase)) == a
        second.update(principal_of(phrase), "remove", a, phrase)
        assert lookup(second, principal_of(phrase)) == b
    finally:
        second.storage.close()
