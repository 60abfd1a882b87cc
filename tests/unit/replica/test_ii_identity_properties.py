"""identity_properties_replace: the identity's name (set, change, remove), its limit and refusals."""

from __future__ import annotations

from replica.canisters.internet_identity import wire
from tests.unit.replica.test_ii_support import Env, anonymous, env, new_key, principal_of  # noqa: F401


def replace_name(env, caller, number, name):
    return env.update(caller, "identity_properties_replace", number, {"name": wire.opt(name)})


def name_in_info(env, caller, number):
    return wire.unopt(env.update(caller, "identity_info", number)["Ok"]["name"])


def test_sets_changes_and_removes_the_name(env):
    number, key = env.register()
    me = principal_of(key)
    assert name_in_info(env, me, number) is None
    assert replace_name(env, me, number, "Work") == {"Ok": None}
    assert name_in_info(env, me, number) == "Work"
    assert wire.unopt(env.update(me, "get_anchor_info", number)["name"]) == "Work"
    assert replace_name(env, me, number, "Zürich 🏔") == {"Ok": None}
    assert name_in_info(env, me, number) == "Zürich 🏔"
    assert replace_name(env, me, number, None) == {"Ok": None}
    assert name_in_info(env, me, number) is None
    assert wire.unopt(env.update(me, "get_anchor_info", number)["name"]) is None


def test_the_limit_is_128_bytes_of_utf8(env):
    number, key = env.register()
    me = principal_of(key)
    assert replace_name(env, me, number, "a" * 128) == {"Ok": None}
    assert name_in_info(env, me, number) == "a" * 128
    # 64 two-byte characters fit, 65 do not: the limit counts bytes, not characters.
    assert replace_name(env, me, number, "é" * 64) == {"Ok": None}
    assert replace_name(env, me, number, "é" * 65) == {"Err": {"NameTooLong": {"limit": 128}}}
    assert replace_name(env, me, number, "a" * 3000) == {"Err": {"NameTooLong": {"limit": 128}}}
    assert name_in_info(env, me, number) == "é" * 64  # the refusals changed nothing


def test_unauthorized_callers_change_nothing(env):
    number, key = env.register()
    me = principal_of(key)
    replace_name(env, me, number, "Mine")
    before = env.storage.read_anchor(number)
    stranger = principal_of(new_key())
    assert replace_name(env, stranger, number, "Theirs") == {"Err": {"Unauthorized": stranger}}
    assert replace_name(env, anonymous(), number, None) == {"Err": {"Unauthorized": anonymous()}}
    assert replace_name(env, stranger, 424_242, "x") == {"Err": {"Unauthorized": stranger}}
    assert env.storage.read_anchor(number) == before
    assert name_in_info(env, me, number) == "Mine"


def test_the_name_is_durable(tmp_path):
    first = Env(tmp_path / "ii.db")
    number, key = first.register()
    assert replace_name(first, principal_of(key), number, "Durable") == {"Ok": None}
    first.storage.close()
    second = Env(tmp_path / "ii.db")
    try:
        assert name_in_info(second, principal_of(key), number) == "Durable"
    finally:
        second.storage.close()
