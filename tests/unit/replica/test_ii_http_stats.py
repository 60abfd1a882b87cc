"""stats, config, whoami and http_request (/metrics)."""

from __future__ import annotations

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.settings import MAX_ENTRIES
from tests.unit.replica.test_ii_support import Env, anonymous, env, new_key, principal_of  # noqa: F401


def get(env, url, method="GET"):
    req = {"method": method, "url": url, "headers": [], "body": b"", "certificate_version": wire.opt(None)}
    return env.query(anonymous(), "http_request", req)


def test_stats(env):
    env.register()
    stats = env.query(anonymous(), "stats")
    assert stats["users_registered"] == 1
    assert stats["storage_layout_version"] == env.storage.schema_version
    assert wire.untuple2(stats["assigned_user_number_range"]) == (10_000, 10_000 + MAX_ENTRIES)
    assert stats["archive_info"] == {"archive_canister": wire.opt(None), "archive_config": wire.opt(None)}


def test_config_reflects_init_and_persists(tmp_path):
    init = {"register_rate_limit": wire.opt({"time_per_token_ns": 5, "max_tokens": 7}),
            "related_origins": wire.opt(["https://a.org"])}
    e = Env(tmp_path / "ii.db", init=init)
    config = e.query(anonymous(), "config")
    assert wire.unopt(config["register_rate_limit"]) == {"time_per_token_ns": 5, "max_tokens": 7}
    assert wire.unopt(config["related_origins"]) == ["https://a.org"]
    captcha = wire.unopt(config["captcha_config"])
    assert captcha == {"max_unsolved_captchas": 500, "captcha_trigger": {"Static": {"CaptchaEnabled": None}}}
    e.storage.close()
    e2 = Env(tmp_path / "ii.db")  # no init: previous values kept
    assert wire.unopt(e2.query(anonymous(), "config")["register_rate_limit"]) == {"time_per_token_ns": 5, "max_tokens": 7}


def test_anchor_range_start_cannot_move_once_used(tmp_path):
    e = Env(tmp_path / "ii.db")
    e.register()
    e.storage.close()
    import pytest

    with pytest.raises(ValueError, match="cannot move the start of the anchor range from 10000 to 5"):
        Env(tmp_path / "ii.db", init={"assigned_user_number_range": wire.opt(wire.tuple2(5, 100))})


def test_whoami(env):
    caller = principal_of(new_key())
    assert env.query(caller, "whoami").raw == caller.raw


def test_metrics(env):
    env.register()
    resp = get(env, "/metrics")
    assert resp["status_code"] == 200
    headers = dict(wire.untuple2(h) for h in resp["headers"])
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = resp["body"].decode()
    assert "# TYPE internet_identity_user_count gauge" in text
    assert "\ninternet_identity_user_count 1\n" in text
    assert "internet_identity_min_user_number 10000" in text


def test_http_errors(env):
    assert get(env, "/nothing")["status_code"] == 404
    assert get(env, "/metrics", method="POST")["status_code"] == 405


def test_well_known_from_related_origins(tmp_path):
    e = Env(tmp_path / "ii.db", init={"related_origins": wire.opt(["https://id.ai", "https://b.org"])})
    resp = get(e, "/.well-known/webauthn")
    assert resp["status_code"] == 200
    import json

    assert json.loads(resp["body"]) == {"origins": ["https://id.ai", "https://b.org"]}
