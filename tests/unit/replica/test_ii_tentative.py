"""Device registration mode and tentative devices, legacy and v2."""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, anonymous, authn_method, device, env, new_key, principal_of  # noqa: F401


def test_add_device_from_another_device(env):
    number, key = env.register()
    me = principal_of(key)
    expiration = env.update(me, "enter_device_registration_mode", number)
    assert expiration == env.time + 15 * MINUTE
    assert env.update(me, "enter_device_registration_mode", number) == expiration  # idempotent
    new = new_key()
    added = env.update(principal_of(new), "add_tentative_device", number, device(new, "phone"))
    code = added["added_tentatively"]["verification_code"]
    assert len(code) == 6 and code.isdigit()
    assert added["added_tentatively"]["device_registration_timeout"] == expiration
    info = env.update(me, "get_anchor_info", number)
    registration = wire.unopt(info["device_registration"])
    assert wire.unopt(registration["tentative_device"])["pubkey"] == new
    assert registration["expiration"] == expiration
    assert env.update(me, "verify_tentative_device", number, code) == {"verified": None}
    assert {d["pubkey"] for d in env.query(anonymous(), "lookup", number)} == {key, new}
    # verification leaves registration mode
    assert wire.unopt(env.update(me, "get_anchor_info", number)["device_registration"]) is None


def test_add_tentative_device_outcomes(env):
    number, key = env.register()
    me = principal_of(key)
    new = new_key()
    assert env.update(anonymous(), "add_tentative_device", number, device(new)) == {"device_registration_mode_off": None}
    env.update(me, "enter_device_registration_mode", number)
    assert env.update(anonymous(), "add_tentative_device", number, device(key)) == {"passkey_with_this_public_key_is_already_used": None}
    assert "added_tentatively" in env.update(anonymous(), "add_tentative_device", number, device(new))
    assert env.update(anonymous(), "add_tentative_device", number, device(new_key())) == {"another_device_tentatively_added": None}
    with pytest.raises(CanisterTrap, match="invalid tentative device: alias limit exceeded"):
        env.update(anonymous(), "add_tentative_device", number, device(new_key(), "x" * 100))


def test_wrong_code_three_times_drops_the_registration(env):
    number, key = env.register()
    me = principal_of(key)
    env.update(me, "enter_device_registration_mode", number)
    new = new_key()
    code = env.update(anonymous(), "add_tentative_device", number, device(new))["added_tentatively"]["verification_code"]
    wrong = "000000" if code != "000000" else "111111"
    assert env.update(me, "verify_tentative_device", number, wrong) == {"wrong_code": {"retries_left": 2}}
    assert env.update(me, "verify_tentative_device", number, wrong) == {"wrong_code": {"retries_left": 1}}
    assert env.update(me, "verify_tentative_device", number, wrong) == {"wrong_code": {"retries_left": 0}}
    assert env.update(me, "verify_tentative_device", number, code) == {"device_registration_mode_off": None}
    assert [d["pubkey"] for d in env.query(anonymous(), "lookup", number)] == [key]


def test_registration_mode_expires_after_15_minutes(env):
    number, key = env.register()
    me = principal_of(key)
    env.update(me, "enter_device_registration_mode", number)
    env.time += 15 * MINUTE
    assert env.update(anonymous(), "add_tentative_device", number, device(new_key())) == {"device_registration_mode_off": None}
    env.update(me, "enter_device_registration_mode", number)
    code = env.update(anonymous(), "add_tentative_device", number, device(new_key()))["added_tentatively"]["verification_code"]
    env.time += 15 * MINUTE
    assert env.update(me, "verify_tentative_device", number, code) == {"device_registration_mode_off": None}


def test_verify_without_device_and_exit(env):
    number, key = env.register()
    me = principal_of(key)
    assert env.update(me, "verify_tentative_device", number, "123456") == {"device_registration_mode_off": None}
    env.update(me, "enter_device_registration_mode", number)
    assert env.update(me, "verify_tentative_device", number, "123456") == {"no_device_to_verify": None}
    env.update(me, "exit_device_registration_mode", number)
    assert env.update(anonymous(), "add_tentative_device", number, device(new_key())) == {"device_registration_mode_off": None}


def test_verify_requires_authentication(env):
    number, key = env.register()
    env.update(principal_of(key), "enter_device_registration_mode", number)
    new = new_key()
    code = env.update(principal_of(new), "add_tentative_device", number, device(new))["added_tentatively"]["verification_code"]
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(principal_of(new), "verify_tentative_device", number, code)


# --- v2 --------------------------------------------------------------------------------------------


def test_v2_registration_mode_and_confirm(env):
    number, key = env.register()
    me = principal_of(key)
    entered = env.update(me, "authn_method_registration_mode_enter", number, wire.opt("Ab3dE"))
    expiration = entered["Ok"]["expiration"]
    assert expiration == env.time + 15 * MINUTE
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Ab3dE") == wire.opt(number)
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "zzzzz") == wire.opt(None)
    new = new_key()
    registered = env.update(principal_of(new), "authn_method_register", number, authn_method(new, credential_id=b"c-new"))
    code = registered["Ok"]["confirmation_code"]
    assert registered["Ok"]["expiration"] == expiration
    pending = wire.unopt(env.update(me, "identity_info", number)["Ok"]["authn_method_registration"])
    assert wire.unopt(pending["authn_method"])["authn_method"]["WebAuthn"]["pubkey"] == new
    wrong = "000000" if code != "000000" else "111111"
    assert env.update(me, "authn_method_confirm", number, wrong) == {"Err": {"WrongCode": {"retries_left": 2}}}
    assert env.update(me, "authn_method_confirm", number, code) == {"Ok": None}
    assert env.query(anonymous(), "lookup_device_key", b"c-new") == wire.opt({"pubkey": new, "anchor_number": number})
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Ab3dE") == wire.opt(None)


def test_v2_registration_mode_errors(env):
    number, key = env.register()
    me = principal_of(key)
    stranger = principal_of(new_key())
    assert env.update(me, "authn_method_registration_mode_enter", number, wire.opt("abc"))["Err"]["InvalidRegistrationId"]
    assert env.update(me, "authn_method_registration_mode_enter", number, wire.opt("ab-de"))["Err"]["InvalidRegistrationId"]
    assert env.update(stranger, "authn_method_registration_mode_enter", number, wire.opt(None)) == {"Err": {"Unauthorized": stranger}}
    assert env.update(stranger, "authn_method_confirm", number, "123456") == {"Err": {"Unauthorized": stranger}}
    assert env.update(stranger, "authn_method_registration_mode_exit", number, wire.opt(None)) == {"Err": {"Unauthorized": stranger}}
    assert env.update(me, "authn_method_confirm", number, "123456") == {"Err": {"RegistrationModeOff": None}}
    new = new_key()
    assert env.update(anonymous(), "authn_method_register", number, authn_method(new)) == {"Err": {"RegistrationModeOff": None}}
    env.update(me, "authn_method_registration_mode_enter", number, wire.opt("AAAAA"))
    other, other_key = env.register()
    assert env.update(principal_of(other_key), "authn_method_registration_mode_enter", other, wire.opt("AAAAA")) == {"Err": {"AlreadyInProgress": None}}
    assert env.update(me, "authn_method_confirm", number, "123456") == {"Err": {"NoAuthnMethodToConfirm": None}}
    assert env.update(anonymous(), "authn_method_register", number, authn_method(key)) == {"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}
    bad = authn_method(new, extra={"alias": {"Map": []}}, alias=None)
    assert "Invalid metadata type for key 'alias'" in env.update(anonymous(), "authn_method_register", number, bad)["Err"]["InvalidMetadata"]
    assert "Ok" in env.update(anonymous(), "authn_method_register", number, authn_method(new))
    assert env.update(anonymous(), "authn_method_register", number, authn_method(new_key())) == {"Err": {"RegistrationAlreadyInProgress": None}}
    assert env.update(me, "authn_method_registration_mode_exit", number, wire.opt(None)) == {"Ok": None}
    assert env.update(me, "authn_method_confirm", number, "123456") == {"Err": {"RegistrationModeOff": None}}


def test_v2_registration_mode_exit_ignores_an_authn_method_without_a_session(env):
    number, key = env.register()
    me = principal_of(key)
    env.update(me, "authn_method_registration_mode_enter", number, wire.opt(None))
    assert env.update(me, "authn_method_registration_mode_exit", number, wire.opt(authn_method(new_key()))) == {"Ok": None}
    assert [d["pubkey"] for d in env.query(anonymous(), "lookup", number)] == [key]
    assert env.update(anonymous(), "authn_method_register", number, authn_method(new_key())) == {"Err": {"RegistrationModeOff": None}}


def test_a_verified_device_that_cannot_be_added_traps_and_keeps_the_registration(env):
    number, key = env.register()
    me = principal_of(key)
    env.update(me, "enter_device_registration_mode", number)
    new = new_key()
    code = env.update(anonymous(), "add_tentative_device", number, device(new))["added_tentatively"]["verification_code"]
    env.register(new)  # meanwhile the same key registered an anchor of its own
    # the key is now in use elsewhere: adding it fails, and the tentative device stays pending
    with pytest.raises(CanisterTrap, match="passkey with this public key is already used"):
        env.update(me, "verify_tentative_device", number, code)
    info = env.update(me, "get_anchor_info", number)
    assert wire.unopt(wire.unopt(info["device_registration"])["tentative_device"])["pubkey"] == new
