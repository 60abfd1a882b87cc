"""Principals, delegations, the signature map and its certified data."""

from __future__ import annotations

import hashlib

import cbor2
import pytest

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.delegation import calculate_seed
from ic import hash_tree
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, Env, canister_id, env, new_key, principal_of  # noqa: F401

DAY = 24 * 60 * MINUTE


def test_seed_layout_matches_the_reference():
    salt = bytes(range(32))
    expected = hashlib.sha256(b"\x20" + salt + b"\x05" + b"10000" + b"\x12" + b"https://dapp.org:1").digest()
    assert calculate_seed(salt, 10_000, "https://dapp.org:1") == expected


def test_principals_are_stable_per_origin_and_differ_across_origins(env):
    number, key = env.register()
    me = principal_of(key)
    a1 = env.query(me, "get_principal", number, "https://a.org")
    a2 = env.query(me, "get_principal", number, "https://a.org")
    b = env.query(me, "get_principal", number, "https://b.org")
    assert a1.raw == a2.raw and a1.raw != b.raw
    other, other_key = env.register()
    assert env.query(principal_of(other_key), "get_principal", other, "https://a.org").raw != a1.raw
    # the principal is that of the user key prepare_delegation returns
    user_key, _ = env.update(me, "prepare_delegation", number, "https://a.org", b"session", wire.opt(None))
    assert principal_of(user_key).raw == a1.raw
    from ic.keys import CanisterSigPublicKey, parse_der

    parsed = parse_der(user_key)
    assert isinstance(parsed, CanisterSigPublicKey) and parsed.canister_id.raw == canister_id().raw
    assert parsed.seed == calculate_seed(env.storage.get_meta("ii.salt"), number, "https://a.org")


def test_salt_is_persisted_and_init_salt_traps_when_set(tmp_path):
    e = Env(tmp_path / "ii.db")
    e.update(principal_of(new_key()), "init_salt")
    salt = e.storage.get_meta("ii.salt")
    number, key = e.register()
    assert e.storage.get_meta("ii.salt") == salt
    me = principal_of(key)
    user_key, _ = e.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    with pytest.raises(CanisterTrap, match="Salt already set"):
        e.update(me, "init_salt")
    e.storage.close()
    e2 = Env(tmp_path / "ii.db")
    user_key2, _ = e2.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    assert user_key2 == user_key


def test_ttl_default_and_clamping(env):
    number, key = env.register()
    me = principal_of(key)
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    assert exp == env.time + 30 * MINUTE
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(60 * 10**9))
    assert exp == env.time + MINUTE
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(60 * DAY))
    assert exp == env.time + 30 * DAY
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(2**64 - 1))
    assert exp == env.time + 30 * DAY


def test_frontend_origin_at_most_255_bytes(env):
    number, key = env.register()
    me = principal_of(key)
    ok = "https://" + "a" * 247
    env.update(me, "prepare_delegation", number, ok, b"s", wire.opt(None))
    too_long = ok + "b"
    for call, method, args in (
        (env.update, "prepare_delegation", (number, too_long, b"s", wire.opt(None))),
        (env.query, "get_delegation", (number, too_long, b"s", 1)),
        (env.query, "get_principal", (number, too_long)),
    ):
        with pytest.raises(CanisterTrap, match="frontend hostname 256 exceeds the limit of 255 bytes"):
            call(me, method, *args)


def test_get_delegation_returns_a_canister_signature_over_the_certified_tree(env):
    number, key = env.register()
    me = principal_of(key)
    session = new_key("session")
    user_key, exp = env.update(me, "prepare_delegation", number, "https://a.org", session, wire.opt(None))
    certified = env.certified_data
    assert certified is not None
    result = env.query(me, "get_delegation", number, "https://a.org", session, exp)
    signed = result["signed_delegation"]
    assert signed["delegation"] == {"pubkey": session, "expiration": exp, "targets": wire.opt(None)}
    sig = signed["signature"]
    assert sig.startswith(b"\xd9\xd9\xf7")
    from ic.canister_sig import parse_canister_signature, signature_path
    from ic.delegation import Delegation, delegation_payload
    from ic.keys import parse_der

    parsed = parse_canister_signature(sig)
    assert parsed.certificate == env.certificate
    assert hash_tree.reconstruct(parsed.tree) == certified
    seed = parse_der(user_key).seed
    payload = delegation_payload(Delegation(pubkey=session, expiration=exp, targets=None))
    path = signature_path(seed, payload)
    assert path == [b"sig", hashlib.sha256(seed).digest(), hashlib.sha256(payload).digest()]
    assert hash_tree.lookup_value(parsed.tree, path) == b""


def test_get_delegation_for_unprepared_or_mismatched_arguments(env):
    number, key = env.register()
    me = principal_of(key)
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    assert env.query(me, "get_delegation", number, "https://a.org", b"s", exp + 1) == {"no_such_delegation": None}
    assert env.query(me, "get_delegation", number, "https://b.org", b"s", exp) == {"no_such_delegation": None}
    assert env.query(me, "get_delegation", number, "https://a.org", b"t", exp) == {"no_such_delegation": None}


def test_signature_entries_expire_after_a_minute(env):
    number, key = env.register()
    me = principal_of(key)
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    env.time += MINUTE - 1
    assert "signed_delegation" in env.query(me, "get_delegation", number, "https://a.org", b"s", exp)
    env.time += 1
    assert env.query(me, "get_delegation", number, "https://a.org", b"s", exp) == {"no_such_delegation": None}
    before = env.certified_data
    env.update(me, "prepare_delegation", number, "https://b.org", b"s", wire.opt(None))  # prunes
    assert len(env.canister.delegations.sigs) == 1
    assert env.certified_data != before


def test_many_delegations_keep_consistent_witnesses(env):
    number, key = env.register()
    me = principal_of(key)
    prepared = []
    for i in range(60):
        origin = f"https://dapp{i % 7}.org"
        session = b"session-%d" % i
        _, exp = env.update(me, "prepare_delegation", number, origin, session, wire.opt(None))
        prepared.append((origin, session, exp))
        env.time += 1
    for origin, session, exp in prepared:
        sig = env.query(me, "get_delegation", number, origin, session, exp)["signed_delegation"]["signature"]
        tree = hash_tree.decode_tree(cbor2.loads(sig)["tree"])
        assert hash_tree.reconstruct(tree) == env.certified_data


def test_get_delegation_is_a_query_and_does_not_change_state(env):
    number, key = env.register()
    me = principal_of(key)
    _, exp = env.update(me, "prepare_delegation", number, "https://a.org", b"s", wire.opt(None))
    before = env.storage.read_anchor(number)
    env.query(me, "get_delegation", number, "https://a.org", b"s", exp)
    env.query(me, "get_principal", number, "https://a.org")
    assert env.storage.read_anchor(number) == before


def test_registration_sets_the_salt(env):
    assert env.storage.get_meta("ii.salt") is None
    number, key = env.register()
    assert len(env.storage.get_meta("ii.salt")) == 32
    env.query(principal_of(key), "get_principal", number, "https://a.org")
