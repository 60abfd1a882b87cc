"""Security review (issue 11), finding 2: `identity_registration_start` spent a rate-limit token
on calls it then refused (the real II, `registration_flow_v2.rs`, takes the token before it
looks at the caller). Now the anonymous caller, and a caller whose flow is in progress, are
refused before the bucket is touched.
"""

from __future__ import annotations

from replica.canisters.internet_identity import wire
from tests.unit.replica.test_ii_support import SECOND, Env, anonymous, new_key, principal_of


def limited_env(tmp_path, max_tokens: int) -> Env:
    init = {"register_rate_limit": wire.opt({"time_per_token_ns": 3600 * SECOND, "max_tokens": max_tokens})}
    return Env(tmp_path / "ii.db", init=init)


def current_tokens(e: Env) -> int:
    """The `/metrics` gauge of the registration tokens left."""
    req = {"method": "GET", "url": "/metrics", "headers": [], "body": b"", "certificate_version": wire.opt(None)}
    text = e.query(anonymous(), "http_request", req)["body"].decode()
    (line,) = [l for l in text.splitlines() if l.startswith("internet_identity_register_rate_limit_current_tokens ")]
    return int(line.split()[1])


def test_anonymous_starts_leave_the_tokens_alone(tmp_path):
    e = limited_env(tmp_path, max_tokens=1)
    for _ in range(5):
        assert e.update(anonymous(), "identity_registration_start") == {"Err": {"InvalidCaller": None}}
    assert current_tokens(e) == 1
    assert "Ok" in e.update(principal_of(new_key()), "identity_registration_start")
    assert current_tokens(e) == 0


def test_anonymous_is_refused_as_anonymous_even_when_rate_limited(tmp_path):
    e = limited_env(tmp_path, max_tokens=1)
    assert "Ok" in e.update(principal_of(new_key()), "identity_registration_start")
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Err": {"RateLimitExceeded": None}}
    assert e.update(anonymous(), "identity_registration_start") == {"Err": {"InvalidCaller": None}}


def test_a_flow_in_progress_is_refused_without_a_token(tmp_path):
    e = limited_env(tmp_path, max_tokens=2)
    me = principal_of(new_key())
    assert "Ok" in e.update(me, "identity_registration_start")
    for _ in range(3):
        assert e.update(me, "identity_registration_start") == {"Err": {"AlreadyInProgress": None}}
    assert current_tokens(e) == 1
    assert "Ok" in e.update(principal_of(new_key()), "identity_registration_start")
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Err": {"RateLimitExceeded": None}}
