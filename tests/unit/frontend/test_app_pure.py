"""The browser app's pure parts: routing, page configuration, screens, passkey failures."""

from __future__ import annotations

import base64
import json

import pytest

from app.config import AppConfig, ConfigError, parse_page_config
from app.passkeys import PasskeyFailure, classify_failure
from app.routing import Route, route_for
from app.ui.diagnostics import render_diagnostics
from app.ui.landing import render_landing


@pytest.mark.parametrize("path,fragment,route", [
    ("/", "", Route.LANDING),
    ("/", "#authorize", Route.AUTHORIZE),
    ("/authorize", "", Route.AUTHORIZE),
    ("/authorize/", "", Route.AUTHORIZE),
    ("/", "#diagnostics", Route.DIAGNOSTICS),
    ("/", "#something-else", Route.LANDING),
])
def test_routes(path, fragment, route):
    assert route_for(path, fragment) is route


def encode(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def test_page_config():
    config = parse_page_config("rdmx6-jaaaa-aaaaa-aaadq-cai", encode(
        {"flavor": "dev", "fetchRootKey": True, "dummyAuth": True, "dummyCaptcha": True}))
    assert config == AppConfig("rdmx6-jaaaa-aaaaa-aaadq-cai", "dev", True, True, True)


@pytest.mark.parametrize("canister,encoded,message", [
    (None, None, "no data-canister-id"),
    ("x", "%%%", "not base64 JSON"),
    ("x", encode([1, 2]), "must be a JSON object"),
])
def test_bad_page_config(canister, encoded, message):
    with pytest.raises(ConfigError, match=message):
        parse_page_config(canister, encoded)


def test_only_true_enables_a_flag():
    assert parse_page_config("x", encode({"dummyAuth": "yes"})).dummy_auth is False


def test_landing_has_the_classic_ids():
    markup = render_landing()
    for element_id in ("registerButton", "loginButton", "recoverButton"):
        assert f'id="{element_id}"' in markup


def test_screens_escape_what_they_show():
    markup = render_diagnostics({"User agent": "<script>x</script>"}, error='"><img src=x>')
    assert "<script>x" not in markup and "<img src=x>" not in markup
    assert "&lt;script&gt;" in markup


@pytest.mark.parametrize("name,failure", [
    ("NotAllowedError", PasskeyFailure.CANCELLED),
    ("InvalidStateError", PasskeyFailure.ALREADY_REGISTERED),
    ("SecurityError", PasskeyFailure.SECURITY),
    ("WeirdError", PasskeyFailure.OTHER),
])
def test_passkey_failures_are_explained(name, failure):
    error = classify_failure(name, "details")
    assert error.failure is failure
    assert name in str(error) and len(str(error)) > 30


def test_a_js_error_text_names_its_exception_once():
    error = classify_failure("NotAllowedError", "NotAllowedError: The operation either timed out or was not allowed.")
    assert str(error).count("NotAllowedError") == 1


def test_authorize_screen_marks_the_preselected_identity():
    from app.ui.authorize import render_request

    markup = render_request("https://dapp.example", None, (10001, 10000), preselected=10001)
    assert 'data-anchor-id="10001" data-action="pick-10001" data-preselected' in markup
    assert markup.count("data-preselected") == 1
