"""Legacy device management: add/update/replace/remove, lookups, limits, protection."""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, anonymous, device, env, new_key, principal_of  # noqa: F401


def pubkeys(env, number):
    return [d["pubkey"] for d in env.query(anonymous(), "lookup", number)]


def test_add_and_lookup(env):
    number, key = env.register()
    me = principal_of(key)
    second = new_key()
    env.update(me, "add", number, device(second, "laptop", credential_id=b"cred-2", origin="https://id.ai"))
    assert set(pubkeys(env, number)) == {key, second}
    devices = env.query(anonymous(), "lookup", number)
    assert all(d["alias"] == "" and d["metadata"] == wire.opt(None) for d in devices)
    info = env.update(me, "get_anchor_info", number)
    laptop = next(d for d in info["devices"] if d["pubkey"] == second)
    assert laptop["alias"] == "laptop" and laptop["origin"] == wire.opt("https://id.ai")
    assert laptop["credential_id"] == wire.opt(b"cred-2")


def test_lookup_unknown_anchor_is_empty(env):
    assert env.query(anonymous(), "lookup", 12_345) == []
    creds = env.query(anonymous(), "get_anchor_credentials", 12_345)
    assert creds == {"credentials": [], "recovery_credentials": [], "recovery_phrases": []}


def test_get_anchor_credentials(env):
    number, key = env.register(credential_id=b"c1")
    me = principal_of(key)
    rkey, phrase = new_key(), new_key()
    env.update(me, "add", number, device(rkey, "key", purpose="recovery", credential_id=b"c2"))
    env.update(me, "add", number, device(phrase, "phrase", purpose="recovery", key_type="seed_phrase"))
    creds = env.query(anonymous(), "get_anchor_credentials", number)
    assert creds == {
        "credentials": [{"credential_id": b"c1", "pubkey": key}],
        "recovery_credentials": [{"credential_id": b"c2", "pubkey": rkey}],
        "recovery_phrases": [phrase],
    }


def test_anchor_operations_require_a_device_of_the_anchor(env):
    number, key = env.register()
    other_number, other_key = env.register()
    stranger = principal_of(other_key)  # a device, but of another anchor
    for method, args in (
        ("add", (number, device(new_key()))),
        ("update", (number, key, device(key, "renamed"))),
        ("replace", (number, key, device(new_key()))),
        ("remove", (number, key)),
        ("get_anchor_info", (number,)),
        ("enter_device_registration_mode", (number,)),
        ("exit_device_registration_mode", (number,)),
        ("prepare_delegation", (number, "https://dapp.org", b"session", wire.opt(None))),
    ):
        with pytest.raises(CanisterTrap, match=f"{stranger.to_text()} could not be authenticated."):
            env.update(stranger, method, *args)
    for method, args in (("get_principal", (number, "https://dapp.org")),
                         ("get_delegation", (number, "https://dapp.org", b"s", 1))):
        with pytest.raises(CanisterTrap, match="could not be authenticated"):
            env.query(stranger, method, *args)
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(principal_of(key), "get_anchor_info", 99_999)  # unknown anchor
    assert pubkeys(env, number) == [key]


def test_a_key_used_on_any_anchor_cannot_be_added_again(env):
    number, key = env.register()
    _, other_key = env.register()
    me = principal_of(key)
    with pytest.raises(CanisterTrap, match="passkey with this public key is already used"):
        env.update(me, "add", number, device(other_key))
    with pytest.raises(CanisterTrap, match="already exists on this anchor|already used"):
        env.update(me, "add", number, device(key))
    with pytest.raises(CanisterTrap, match="passkey with this public key is already used"):
        env.update(me, "replace", number, key, device(other_key))
    assert pubkeys(env, number) == [key]


def test_device_limits(env):
    number, key = env.register()
    me = principal_of(key)
    cases = [
        (device(new_key(), "a" * 65), "alias limit exceeded: length 65, limit 64"),
        (device(b"k" * 301), "pubkey limit exceeded: length 301, limit 300"),
        (device(new_key(), credential_id=b"c" * 351), "credential_id limit exceeded: length 351, limit 350"),
        (device(new_key(), origin="https://" + "o" * 93), "origin limit exceeded: length 101, limit 100"),
        (device(new_key(), protection="protected"), "Only recovery phrases can be locked"),
        (device(new_key(), key_type="seed_phrase", credential_id=b"c"), "must not have a credential id"),
        (device(new_key(), metadata=[wire.tuple2("alias", {"string": "x"})]), "Metadata key 'alias' is reserved"),
    ]
    for dev, message in cases:
        with pytest.raises(CanisterTrap, match=message):
            env.update(me, "add", number, dev)
    assert pubkeys(env, number) == [key]


def test_at_most_20_devices_and_one_recovery_phrase(env):
    number, key = env.register()
    me = principal_of(key)
    for i in range(19):
        env.update(me, "add", number, device(new_key(), f"d{i}"))
    with pytest.raises(CanisterTrap, match="Anchor device limit exceeded: num devices 21, limit 20"):
        env.update(me, "add", number, device(new_key()))
    number2, key2 = env.register()
    me2 = principal_of(key2)
    env.update(me2, "add", number2, device(new_key(), "phrase", key_type="seed_phrase", purpose="recovery"))
    with pytest.raises(CanisterTrap, match="only one is allowed"):
        env.update(me2, "add", number2, device(new_key(), "phrase 2", key_type="seed_phrase", purpose="recovery"))


def test_cumulative_size_limit(env):
    number, key = env.register()
    me = principal_of(key)
    big = [wire.tuple2("blob", {"bytes": b"x" * 2450})]
    env.update(me, "add", number, device(new_key(), metadata=big))
    with pytest.raises(CanisterTrap, match="Cumulative size of variable sized fields exceeds limit"):
        env.update(me, "add", number, device(new_key(), metadata=big))


def test_update_keeps_the_key_and_last_usage(env):
    number, key = env.register()
    me = principal_of(key)
    env.update(me, "update", number, key, device(key, "renamed", key_type="platform"))
    info = env.update(me, "get_anchor_info", number)
    (d,) = info["devices"]
    assert d["alias"] == "renamed" and d["key_type"] == {"platform": None}
    assert d["last_usage"] == wire.opt(env.time)
    with pytest.raises(CanisterTrap, match="Device key cannot be updated"):
        env.update(me, "update", number, key, device(new_key(), "x"))
    with pytest.raises(CanisterTrap, match="Could not find device to update"):
        env.update(me, "update", number, b"nope", device(b"nope"))


def test_replace_and_remove(env):
    number, key = env.register()
    me = principal_of(key)
    second, third = new_key(), new_key()
    env.update(me, "add", number, device(second, "second"))
    env.update(me, "replace", number, second, device(third, "third"))
    assert set(pubkeys(env, number)) == {key, third}
    assert env.storage.anchor_with_device_key(second) is None
    assert env.storage.anchor_with_device_key(third) == number
    with pytest.raises(CanisterTrap, match="not found"):
        env.update(me, "remove", number, second)
    env.update(me, "remove", number, third)
    assert pubkeys(env, number) == [key]
    env.update(me, "remove", number, key)  # removing the last (and current) device is allowed
    assert pubkeys(env, number) == []


def test_protected_recovery_phrase_can_only_be_changed_by_itself(env):
    number, key = env.register()
    me = principal_of(key)
    phrase = new_key("phrase")
    env.update(me, "add", number, device(phrase, "Recovery phrase", purpose="recovery", key_type="seed_phrase",
                                         protection="protected"))
    for method, args in (
        ("update", (number, phrase, device(phrase, "renamed", purpose="recovery", key_type="seed_phrase"))),
        ("replace", (number, phrase, device(new_key(), "new phrase", purpose="recovery", key_type="seed_phrase"))),
        ("remove", (number, phrase)),
    ):
        with pytest.raises(CanisterTrap, match="Device is locked. Must be authenticated with this device to mutate"):
            env.update(me, method, *args)
    assert phrase in pubkeys(env, number)
    by_phrase = principal_of(phrase)
    env.update(by_phrase, "update", number, phrase,
               device(phrase, "renamed", purpose="recovery", key_type="seed_phrase", protection="protected"))
    env.update(by_phrase, "remove", number, phrase)
    assert pubkeys(env, number) == [key]


def test_lookup_device_key(env):
    number, key = env.register(credential_id=b"my-credential")
    assert env.query(anonymous(), "lookup_device_key", b"my-credential") == wire.opt({"pubkey": key, "anchor_number": number})
    assert env.query(anonymous(), "lookup_device_key", b"unknown") == wire.opt(None)


def test_lookup_orders_by_last_usage(env):
    number, key = env.register()
    me = principal_of(key)
    second = new_key()
    env.update(me, "add", number, device(second))
    env.time += MINUTE
    env.update(principal_of(second), "get_anchor_info", number)
    assert pubkeys(env, number) == [second, key]
