"""Pairing started on the new device (v2 sessions): the new device's self-authenticating principal
registers a session in the window the signed-in device opened, the signed-in device confirms its
code, and the confirmed session adds its own passkey with `authn_method_registration_mode_exit`."""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, anonymous, authn_method, env, new_key, principal_of  # noqa: F401


def window(env, reg_id: str = "Xy7Qa"):
    number, key = env.register()
    me = principal_of(key)
    entered = env.update(me, "authn_method_registration_mode_enter", number, wire.opt(reg_id))
    return number, key, me, entered["Ok"]["expiration"]


def registered_session(env):
    number, key, me, expiration = window(env)
    session = principal_of(new_key("session"))
    answer = env.update(session, "authn_method_session_register", number)
    return number, key, me, session, answer["Ok"]["confirmation_code"], expiration


def test_the_whole_pairing_from_the_new_device(env):
    number, key, me, expiration = window(env)
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Xy7Qa") == wire.opt(number)
    session = principal_of(new_key("session"))
    answer = env.update(session, "authn_method_session_register", number)["Ok"]
    code = answer["confirmation_code"]
    assert len(code) == 6 and code.isdigit() and answer["expiration"] == expiration
    pending = wire.unopt(env.update(me, "identity_info", number)["Ok"]["authn_method_registration"])
    assert pending == {"authn_method": wire.opt(None), "session": wire.opt(session), "expiration": expiration}
    legacy = wire.unopt(env.update(me, "get_anchor_info", number)["device_registration"])
    assert legacy["tentative_session"] == wire.opt(session) and legacy["tentative_device"] == wire.opt(None)
    assert env.query(session, "authn_method_session_info", number) == wire.opt(None)  # not confirmed yet

    assert env.update(me, "authn_method_confirm", number, code) == {"Ok": None}
    info = wire.unopt(env.query(session, "authn_method_session_info", number))
    assert info["name"] == wire.opt(None) and wire.unopt(info["created_at"]) is not None
    assert env.query(me, "authn_method_session_info", number) == wire.opt(None)  # the session's only
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Xy7Qa") == wire.opt(number)  # still open

    passkey = new_key("passkey")
    added = env.update(session, "authn_method_registration_mode_exit", number,
                       wire.opt(authn_method(passkey, credential_id=b"c-paired")))
    assert added == {"Ok": None}
    assert env.query(anonymous(), "lookup_device_key", b"c-paired") == wire.opt({"pubkey": passkey, "anchor_number": number})
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Xy7Qa") == wire.opt(None)  # window closed
    assert env.query(session, "authn_method_session_info", number) == wire.opt(None)
    # The session stands in for the new passkey for a while (no second prompt on the new device).
    assert "Ok" in env.update(session, "identity_info", number)


def test_session_register_refusals(env):
    number, key, me, _ = window(env)
    assert env.update(anonymous(), "authn_method_session_register", number) == {
        "Err": {"NotSelfAuthenticating": anonymous()}}
    other, other_key = env.register()
    assert env.update(principal_of(new_key()), "authn_method_session_register", other) == {
        "Err": {"RegistrationModeOff": None}}
    first = principal_of(new_key())
    assert "Ok" in env.update(first, "authn_method_session_register", number)
    assert env.update(principal_of(new_key()), "authn_method_session_register", number) == {
        "Err": {"RegistrationAlreadyInProgress": None}}
    # A session and a device never share the window.
    assert env.update(anonymous(), "authn_method_register", number, authn_method(new_key())) == {
        "Err": {"RegistrationAlreadyInProgress": None}}


def test_a_device_in_the_window_refuses_a_session(env):
    number, key, me, _ = window(env)
    assert "Ok" in env.update(anonymous(), "authn_method_register", number, authn_method(new_key()))
    assert env.update(principal_of(new_key()), "authn_method_session_register", number) == {
        "Err": {"RegistrationAlreadyInProgress": None}}


def test_wrong_codes_drop_the_session_after_three(env):
    number, key, me, session, code, _ = registered_session(env)
    wrong = "000000" if code != "000000" else "111111"
    assert env.update(me, "authn_method_confirm", number, wrong) == {"Err": {"WrongCode": {"retries_left": 2}}}
    assert env.update(me, "authn_method_confirm", number, wrong) == {"Err": {"WrongCode": {"retries_left": 1}}}
    assert env.update(me, "authn_method_confirm", number, wrong) == {"Err": {"WrongCode": {"retries_left": 0}}}
    assert env.update(me, "authn_method_confirm", number, code) == {"Err": {"RegistrationModeOff": None}}
    assert env.query(session, "authn_method_session_info", number) == wire.opt(None)


def test_a_confirmed_session_has_nothing_more_to_confirm(env):
    number, key, me, session, code, _ = registered_session(env)
    assert env.update(me, "authn_method_confirm", number, code) == {"Ok": None}
    assert env.update(me, "authn_method_confirm", number, code) == {"Err": {"NoAuthnMethodToConfirm": None}}
    assert wire.unopt(env.update(me, "identity_info", number)["Ok"]["authn_method_registration"])["session"] == wire.opt(None)


def test_only_the_confirmed_session_adds_a_passkey_and_bad_ones_change_nothing(env):
    number, key, me, session, code, _ = registered_session(env)
    passkey = new_key()
    # Not confirmed yet: exit needs an authenticated caller and ignores the authn method.
    assert env.update(session, "authn_method_registration_mode_exit", number, wire.opt(authn_method(passkey))) == {
        "Err": {"Unauthorized": session}}
    env.update(me, "authn_method_confirm", number, code)
    stranger = principal_of(new_key())
    for caller in (stranger, me):  # confirmed: the session itself, no one else
        assert env.update(caller, "authn_method_registration_mode_exit", number, wire.opt(authn_method(passkey))) == {
            "Err": {"Unauthorized": caller}}
    bad = authn_method(passkey, extra={"alias": {"Map": []}}, alias=None)
    assert "InvalidMetadata" in env.update(session, "authn_method_registration_mode_exit", number, wire.opt(bad))["Err"]
    assert env.update(session, "authn_method_registration_mode_exit", number, wire.opt(authn_method(key))) == {
        "Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}
    assert [d["pubkey"] for d in env.query(anonymous(), "lookup", number)] == [key]  # nothing changed
    assert wire.unopt(env.query(session, "authn_method_session_info", number)) is not None  # still confirmed
    assert env.update(session, "authn_method_registration_mode_exit", number, wire.opt(authn_method(passkey))) == {"Ok": None}
    assert [d["pubkey"] for d in env.query(anonymous(), "lookup", number)] == [key, passkey]


def test_the_session_expires_with_the_window(env):
    number, key, me, session, code, _ = registered_session(env)
    env.update(me, "authn_method_confirm", number, code)
    env.time += 15 * MINUTE
    assert env.query(session, "authn_method_session_info", number) == wire.opt(None)
    assert env.update(session, "authn_method_registration_mode_exit", number, wire.opt(authn_method(new_key()))) == {
        "Err": {"Unauthorized": session}}
    assert env.update(principal_of(new_key()), "authn_method_session_register", number) == {
        "Err": {"RegistrationModeOff": None}}


def test_a_window_open_under_another_id_is_already_in_progress(env):
    """The id a new device polls for never gets lost in a window opened for another one."""
    number, key, me, expiration = window(env, "Xy7Qa")
    assert env.update(me, "authn_method_registration_mode_enter", number, wire.opt("Xy7Qa")) == {
        "Ok": {"expiration": expiration}}
    for other in (wire.opt("Other"), wire.opt(None)):
        assert env.update(me, "authn_method_registration_mode_enter", number, other) == {
            "Err": {"AlreadyInProgress": None}}
    with pytest.raises(CanisterTrap, match="Already in progress"):
        env.update(me, "enter_device_registration_mode", number)
    assert env.query(anonymous(), "lookup_by_registration_mode_id", "Other") == wire.opt(None)
