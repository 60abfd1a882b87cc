"""Security review (issue 11), finding 3: a victim's public key or credential id must not be
registered to a second identity.

The real II (`main.rs`: `add`, `update`, `replace` call `check_passkey_pubkey_is_not_used`;
`identity_registration_finish` answers `InvalidAuthnMethod("passkey with this public key is
already used")`; `add_tentative_device` / `authn_method_register` answer
`passkey_with_this_public_key_is_already_used`) refuses a used public key. This canister refuses a
credential id that another identity holds as well, on every path that creates an identity or adds
a device, and the owner keeps re-adding and replacing its own devices as before.
"""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import Env, anonymous, authn_method, device, env, new_key, principal_of  # noqa: F401

KEY_USED = "passkey with this public key is already used"
CREDENTIAL_USED = "passkey with this credential id is already used"


def victim(env: Env) -> tuple[int, bytes, bytes]:
    """An identity with one passkey: (number, public key, credential id)."""
    key, cred = new_key("victim"), b"victim credential id"
    number, _ = env.register(key, credential_id=cred)
    return number, key, cred


def users(env: Env) -> int:
    return env.query(anonymous(), "stats")["users_registered"]


def devices_of(env: Env, number: int) -> list[tuple[bytes, bytes | None]]:
    return [(d.pubkey, d.credential_id) for d in env.canister.state.read_anchor(number).devices]


# --- creating an identity --------------------------------------------------------------------------


def test_legacy_register_refuses_a_used_public_key_and_changes_nothing(env):
    _, key, _ = victim(env)
    attacker = principal_of(new_key("attacker"))
    challenge = env.update(attacker, "create_challenge")
    attempt = {"key": challenge["challenge_key"], "chars": "a"}
    # The attacker signs as the temporary key; only the victim's public key is needed.
    with pytest.raises(CanisterTrap, match=KEY_USED):
        env.update(attacker, "register", device(key), attempt, wire.opt(attacker))
    assert users(env) == 1
    # The trap changed nothing: the challenge is still there for a device of one's own.
    own = new_key()
    assert "registered" in env.update(attacker, "register", device(own), attempt, wire.opt(attacker))


def test_legacy_register_refuses_a_used_credential_id(env):
    _, _, cred = victim(env)
    key = new_key()
    challenge = env.update(principal_of(key), "create_challenge")
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(principal_of(key), "register", device(key, credential_id=cred),
                   {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))
    assert users(env) == 1


def test_v2_registration_refuses_a_used_key_or_credential_id(env):
    _, key, cred = victim(env)
    session = principal_of(new_key("session"))
    env.update(session, "identity_registration_start")
    env.update(session, "check_captcha", {"solution": "a"})
    for method, used in ((authn_method(key), KEY_USED), (authn_method(key, credential_id=b"fresh"), KEY_USED),
                         (authn_method(new_key(), credential_id=cred), CREDENTIAL_USED)):
        result = env.update(session, "identity_registration_finish", {"authn_method": method, "name": wire.opt(None)})
        assert result["Err"]["InvalidAuthnMethod"].startswith(used)
    assert users(env) == 1
    # The flow is still open for a passkey of one's own.
    own = authn_method(new_key(), credential_id=b"own credential id")
    assert "Ok" in env.update(session, "identity_registration_finish", {"authn_method": own, "name": wire.opt(None)})


# --- adding a device to another identity -------------------------------------------------------------


def test_adding_a_victims_passkey_to_another_identity_fails(env):
    _, key, cred = victim(env)
    mine, my_key = env.register()
    me = principal_of(my_key)
    with pytest.raises(CanisterTrap, match=KEY_USED):
        env.update(me, "add", mine, device(key, credential_id=cred))
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(me, "add", mine, device(new_key(), credential_id=cred))
    with pytest.raises(CanisterTrap, match=KEY_USED):
        env.update(me, "authn_method_add", mine, authn_method(key))
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(me, "authn_method_add", mine, authn_method(new_key(), credential_id=cred))
    assert devices_of(env, mine) == [(my_key, None)]


def test_replacing_or_updating_into_a_victims_credential_id_fails(env):
    _, key, cred = victim(env)
    mine, my_key = env.register(credential_id=b"my credential id")
    me = principal_of(my_key)
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(me, "replace", mine, my_key, device(new_key(), credential_id=cred))
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(me, "update", mine, my_key, device(my_key, credential_id=cred))
    stolen = (authn_method(key), authn_method(new_key(), credential_id=cred))
    for method in stolen:
        result = env.update(me, "authn_method_replace", mine, my_key, method)
        assert result == {"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}
    assert devices_of(env, mine) == [(my_key, b"my credential id")]


def test_tentative_devices_with_a_victims_credential_id_are_refused(env):
    _, _, cred = victim(env)
    mine, my_key = env.register()
    env.update(principal_of(my_key), "enter_device_registration_mode", mine)
    stranger = new_key()
    used = env.update(anonymous(), "add_tentative_device", mine, device(stranger, credential_id=cred))
    assert used == {"passkey_with_this_public_key_is_already_used": None}
    used = env.update(anonymous(), "authn_method_register", mine, authn_method(stranger, credential_id=cred))
    assert used == {"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}


def test_confirming_a_tentative_device_rechecks_its_credential_id(env):
    mine, my_key = env.register()
    me = principal_of(my_key)
    env.update(me, "enter_device_registration_mode", mine)
    cred = b"contested credential id"
    added = env.update(anonymous(), "add_tentative_device", mine, device(new_key(), credential_id=cred))
    code = added["added_tentatively"]["verification_code"]
    env.register(credential_id=cred)  # meanwhile another identity registers that credential
    with pytest.raises(CanisterTrap, match=CREDENTIAL_USED):
        env.update(me, "verify_tentative_device", mine, code)
    assert devices_of(env, mine) == [(my_key, None)]


# --- the owner keeps its devices -------------------------------------------------------------------


def test_the_owner_can_still_replace_update_and_re_add_its_device(env):
    number, key, cred = victim(env)
    me = principal_of(key)
    env.update(me, "update", number, key, device(key, "renamed", credential_id=cred))
    env.update(me, "replace", number, key, device(key, "replaced", credential_id=cred))
    again = authn_method(key, credential_id=cred, alias="v2 replaced")
    assert env.update(me, "authn_method_replace", number, key, again) == {"Ok": None}
    # A new key for the same credential id stays on this identity.
    new = new_key()
    env.update(me, "replace", number, key, device(new, "rotated", credential_id=cred))
    assert devices_of(env, number) == [(new, cred)]
    # Removed, then added back from another device of the identity.
    helper = new_key()
    env.update(principal_of(new), "add", number, device(helper))
    env.update(principal_of(helper), "remove", number, new)
    env.update(principal_of(helper), "add", number, device(new, credential_id=cred))
    assert sorted(devices_of(env, number)) == sorted([(helper, None), (new, cred)])


def test_a_removed_passkey_may_register_a_new_identity(env):
    number, key, cred = victim(env)
    helper = new_key()
    env.update(principal_of(key), "add", number, device(helper))
    env.update(principal_of(helper), "remove", number, key)
    assert env.register(key, credential_id=cred)[0] == number + 1
