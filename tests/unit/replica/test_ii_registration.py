"""Creating identities: legacy create_challenge/register, the v2 flow, captcha and rate limit."""

from __future__ import annotations

import base64

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, SECOND, Env, anonymous, authn_method, device, env, new_key, principal_of  # noqa: F401


def is_png(b64: str) -> bool:
    return base64.b64decode(b64).startswith(b"\x89PNG\r\n\x1a\n")


# --- legacy ------------------------------------------------------------------------------------


def test_create_challenge_returns_a_png_and_a_key(env):
    challenge = env.update(anonymous(), "create_challenge")
    assert is_png(challenge["png_base64"])
    key = challenge["challenge_key"]
    assert len(key) == 10 and all("a" <= c <= "y" for c in key)


def test_register_assigns_sequential_anchors_from_10000(env):
    first, _ = env.register()
    second, _ = env.register()
    assert (first, second) == (10_000, 10_001)
    assert env.query(anonymous(), "stats")["users_registered"] == 2


def test_register_with_wrong_captcha_is_bad_challenge(env):
    key = new_key()
    me = principal_of(key)
    challenge = env.update(me, "create_challenge")
    result = env.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": "b"}, wire.opt(None))
    assert result == {"bad_challenge": None}
    # the challenge is used up even by a wrong answer
    result = env.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))
    assert result == {"bad_challenge": None}
    assert env.query(me, "stats")["users_registered"] == 0


def test_register_with_unknown_or_expired_challenge_is_bad_challenge(env):
    key = new_key()
    me = principal_of(key)
    assert env.update(me, "register", device(key), {"key": "nosuchkey", "chars": "a"}, wire.opt(None)) == {"bad_challenge": None}
    challenge = env.update(me, "create_challenge")
    env.time += 5 * MINUTE
    result = env.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))
    assert result == {"bad_challenge": None}


def test_register_caller_must_be_the_device(env):
    key = new_key()
    stranger = principal_of(new_key())
    challenge = env.update(stranger, "create_challenge")
    with pytest.raises(CanisterTrap, match="could not be authenticated against"):
        env.update(stranger, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))


def test_register_with_temp_key(env):
    key = new_key()
    session = principal_of(new_key("session"))
    challenge = env.update(session, "create_challenge")
    result = env.update(session, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(session))
    number = result["registered"]["user_number"]
    # the temporary key may act for the device for 10 minutes
    info = env.update(session, "get_anchor_info", number)
    assert [d["pubkey"] for d in info["devices"]] == [key]
    env.time += 10 * MINUTE
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(session, "get_anchor_info", number)


def test_temp_key_is_dropped_with_its_device(env):
    key = new_key()
    session = principal_of(new_key("session"))
    challenge = env.update(session, "create_challenge")
    number = env.update(session, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"},
                        wire.opt(session))["registered"]["user_number"]
    env.update(session, "replace", number, key, device(new_key(), "replacement"))
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(session, "get_anchor_info", number)


def test_temp_key_must_differ_from_the_device_key(env):
    key = new_key()
    me = principal_of(key)
    challenge = env.update(me, "create_challenge")
    with pytest.raises(CanisterTrap, match="temp_key and device key must not be equal"):
        env.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(me))


def test_the_same_device_cannot_register_a_second_anchor(env):
    key = new_key()
    assert env.register(key)[0] == 10_000
    with pytest.raises(CanisterTrap, match="passkey with this public key is already used"):
        env.register(key)


def test_register_temp_key_must_be_the_caller(env):
    key = new_key()
    challenge = env.update(principal_of(key), "create_challenge")
    with pytest.raises(CanisterTrap, match="temporary key"):
        env.update(principal_of(key), "register", device(key), {"key": challenge["challenge_key"], "chars": "a"},
                   wire.opt(principal_of(new_key())))


def test_register_invalid_device_traps_and_allocates_nothing(env):
    key = new_key()
    me = principal_of(key)
    challenge = env.update(me, "create_challenge")
    with pytest.raises(CanisterTrap, match="alias limit exceeded: length 65, limit 64"):
        env.update(me, "register", device(key, "x" * 65), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))
    assert env.register()[0] == 10_000


def test_canister_full(tmp_path):
    e = Env(tmp_path / "ii.db", init={"assigned_user_number_range": wire.opt(wire.tuple2(5, 7))})
    assert e.register()[0] == 5
    assert e.register()[0] == 6
    key = new_key()
    challenge = e.update(principal_of(key), "create_challenge")
    result = e.update(principal_of(key), "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None))
    assert result == {"canister_full": None}


def test_register_rate_limit(tmp_path):
    init = {"register_rate_limit": wire.opt({"time_per_token_ns": 10 * SECOND, "max_tokens": 2})}
    e = Env(tmp_path / "ii.db", init=init)
    e.register()
    e.register()
    with pytest.raises(CanisterTrap, match="rate limit reached, try again later"):
        e.register()
    e.time += 10 * SECOND
    e.register()  # one token back
    with pytest.raises(CanisterTrap, match="rate limit reached"):
        e.register()


def test_too_many_inflight_captchas(tmp_path):
    init = {"captcha_config": wire.opt({"max_unsolved_captchas": 2, "captcha_trigger": {"Static": {"CaptchaEnabled": None}}})}
    e = Env(tmp_path / "ii.db", init=init)
    e.update(anonymous(), "create_challenge")
    e.update(anonymous(), "create_challenge")
    with pytest.raises(CanisterTrap, match="too many inflight captchas"):
        e.update(anonymous(), "create_challenge")
    e.time += 5 * MINUTE  # they expire
    e.update(anonymous(), "create_challenge")


def test_captcha_disabled_skips_the_challenge(tmp_path):
    init = {"captcha_config": wire.opt({"max_unsolved_captchas": 5, "captcha_trigger": {"Static": {"CaptchaDisabled": None}}})}
    e = Env(tmp_path / "ii.db", init=init)
    key = new_key()
    result = e.update(principal_of(key), "register", device(key), {"key": "", "chars": ""}, wire.opt(None))
    assert result == {"registered": {"user_number": 10_000}}
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Ok": {"next_step": {"Finish": None}}}


def test_production_captcha_needs_the_real_answer(tmp_path):
    e = Env(tmp_path / "ii.db", dummy_captcha=False)
    key = new_key()
    me = principal_of(key)
    challenge = e.update(me, "create_challenge")
    solution = e.canister.registration.challenges[challenge["challenge_key"]].solution
    assert len(solution) == 5
    assert e.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None)) == {"bad_challenge": None}
    challenge = e.update(me, "create_challenge")
    solution = e.canister.registration.challenges[challenge["challenge_key"]].solution
    result = e.update(me, "register", device(key), {"key": challenge["challenge_key"], "chars": solution.upper()}, wire.opt(None))
    assert result == {"registered": {"user_number": 10_000}}


# --- v2 ------------------------------------------------------------------------------------------


def test_v2_registration_happy_path(env):
    session = principal_of(new_key("session"))
    start = env.update(session, "identity_registration_start")
    step = start["Ok"]["next_step"]["CheckCaptcha"]
    assert is_png(step["captcha_png_base64"])
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Ok": {"next_step": {"Finish": None}}}
    key = new_key()
    result = env.update(session, "identity_registration_finish",
                        {"authn_method": authn_method(key, credential_id=b"cred"), "name": wire.opt("Alice")})
    number = result["Ok"]["identity_number"]
    assert number == 10_000
    # the flow's caller is a temporary key for the new identity
    info = env.update(session, "identity_info", number)["Ok"]
    assert info["name"] == wire.opt("Alice")
    assert info["created_at"] == wire.opt(env.time)
    # the flow is over
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Err": {"NoRegistrationFlow": None}}


def test_v2_wrong_captcha_gives_a_new_one(env):
    session = principal_of(new_key())
    env.update(session, "identity_registration_start")
    result = env.update(session, "check_captcha", {"solution": "b"})
    assert is_png(result["Err"]["WrongSolution"]["new_captcha_png_base64"])
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Ok": {"next_step": {"Finish": None}}}


def test_v2_errors(env):
    session = principal_of(new_key())
    assert env.update(anonymous(), "identity_registration_start") == {"Err": {"InvalidCaller": None}}
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Err": {"NoRegistrationFlow": None}}
    finish_arg = {"authn_method": authn_method(new_key()), "name": wire.opt(None)}
    assert env.update(session, "identity_registration_finish", finish_arg) == {"Err": {"NoRegistrationFlow": None}}
    start = env.update(session, "identity_registration_start")
    assert env.update(session, "identity_registration_start") == {"Err": {"AlreadyInProgress": None}}
    unexpected = env.update(session, "identity_registration_finish", finish_arg)
    assert unexpected == {"Err": {"UnexpectedCall": {"next_step": start["Ok"]["next_step"]}}}
    env.update(session, "check_captcha", {"solution": "a"})
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Err": {"UnexpectedCall": {"next_step": {"Finish": None}}}}
    bad = {"authn_method": authn_method(new_key(), extra={"usage": {"Bytes": b"x"}}), "name": wire.opt(None)}
    err = env.update(session, "identity_registration_finish", bad)["Err"]["InvalidAuthnMethod"]
    assert "Invalid metadata type for key 'usage'" in err
    long_name = {"authn_method": authn_method(new_key()), "name": wire.opt("n" * 129)}
    assert "Name is too long" in env.update(session, "identity_registration_finish", long_name)["Err"]["StorageError"]


def test_v2_flow_expires_after_5_minutes(env):
    session = principal_of(new_key())
    env.update(session, "identity_registration_start")
    env.time += 5 * MINUTE
    assert env.update(session, "check_captcha", {"solution": "a"}) == {"Err": {"NoRegistrationFlow": None}}
    assert "Ok" in env.update(session, "identity_registration_start")


def test_v2_rate_limit(tmp_path):
    init = {"register_rate_limit": wire.opt({"time_per_token_ns": 60 * SECOND, "max_tokens": 1})}
    e = Env(tmp_path / "ii.db", init=init)
    assert "Ok" in e.update(principal_of(new_key()), "identity_registration_start")
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Err": {"RateLimitExceeded": None}}


def test_dynamic_captcha_trigger(tmp_path):
    trigger = {"Dynamic": {"threshold_pct": 50, "current_rate_sampling_interval_s": 60,
                           "reference_rate_sampling_interval_s": 3600}}
    init = {"captcha_config": wire.opt({"max_unsolved_captchas": 50, "captcha_trigger": trigger})}
    e = Env(tmp_path / "ii.db", init=init)
    # no registrations yet: the rate has not risen, no captcha
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Ok": {"next_step": {"Finish": None}}}
    key = new_key()
    assert e.update(principal_of(key), "register", device(key), {"key": "", "chars": ""}, wire.opt(None)) == {"registered": {"user_number": 10_000}}
    # one registration in the last minute against one in the last hour: the rate rose, captcha on
    assert "CheckCaptcha" in e.update(principal_of(new_key()), "identity_registration_start")["Ok"]["next_step"]
    e.time += 2 * MINUTE
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Ok": {"next_step": {"Finish": None}}}


def test_a_trapping_register_consumes_neither_token_nor_challenge(tmp_path):
    init = {"register_rate_limit": wire.opt({"time_per_token_ns": 60 * SECOND, "max_tokens": 1})}
    e = Env(tmp_path / "ii.db", init=init)
    key = new_key()
    challenge = e.update(principal_of(key), "create_challenge")
    attempt = {"key": challenge["challenge_key"], "chars": "a"}
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        e.update(principal_of(new_key()), "register", device(key), attempt, wire.opt(None))
    with pytest.raises(CanisterTrap, match="alias limit exceeded"):
        e.update(principal_of(key), "register", device(key, "x" * 65), attempt, wire.opt(None))
    assert e.update(principal_of(key), "register", device(key), attempt, wire.opt(None)) == {"registered": {"user_number": 10_000}}
