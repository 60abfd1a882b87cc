"""`/.well-known/ii-alternative-origins` rules (ii-facts §1b)."""

from __future__ import annotations

import json

import pytest

from app.protocol.alternative_origins import (
    MAX_ALTERNATIVE_ORIGINS,
    AlternativeOriginsResponse,
    alternative_origins_url,
    canister_id_from_hostname,
    check_alternative_origins,
    needs_check,
    parse_canister_id_header,
)
from ic.principal import Principal

CANISTER = "bd3sg-teaaa-aaaaa-qaaba-cai"
DAPP = "https://qsgjb-riaaa-aaaaa-aaaga-cai.icp0.io"
URL = f"https://{CANISTER}.icp0.io/.well-known/ii-alternative-origins"


def listing(*origins, status=200, redirected=False) -> AlternativeOriginsResponse:
    return AlternativeOriginsResponse(status, redirected, json.dumps({"alternativeOrigins": list(origins)}).encode())


def test_listed_origin_is_allowed():
    check = check_alternative_origins(DAPP, URL, listing("https://other.example", DAPP))
    assert check.allowed and "is listed" in check.reason


def test_exactly_ten_entries_are_allowed():
    origins = [f"https://d{i}.example" for i in range(MAX_ALTERNATIVE_ORIGINS - 1)] + [DAPP]
    assert check_alternative_origins(DAPP, URL, listing(*origins)).allowed


def test_more_than_ten_entries_are_refused_even_when_listed():
    origins = [DAPP] + [f"https://d{i}.example" for i in range(MAX_ALTERNATIVE_ORIGINS)]
    check = check_alternative_origins(DAPP, URL, listing(*origins))
    assert not check.allowed and "11 origins; at most 10" in check.reason


@pytest.mark.parametrize("status", [201, 204, 301, 302, 404, 500])
def test_status_other_than_200_is_refused(status):
    check = check_alternative_origins(DAPP, URL, listing(DAPP, status=status))
    assert not check.allowed and f"status {status}" in check.reason


def test_redirected_response_is_refused_even_with_a_good_body():
    check = check_alternative_origins(DAPP, URL, listing(DAPP, redirected=True))
    assert not check.allowed and "redirect" in check.reason


def test_fetch_failure_is_refused_with_its_message():
    check = check_alternative_origins(DAPP, URL, AlternativeOriginsResponse(0, error="TypeError: Failed to fetch"))
    assert not check.allowed and "Failed to fetch" in check.reason


@pytest.mark.parametrize("body,why", [
    (b"", "not valid JSON"),
    (b"{", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "invalid format"),
    (b'"https://x.example"', "invalid format"),
    (b"{}", "invalid format"),
    (b'{"alternativeOrigins": "https://x.example"}', "invalid format"),
    (b'{"alternativeOrigins": null}', "invalid format"),
    (b'{"alternativeOrigins": [1]}', "must be a string"),
    (b'{"alternativeorigins": ["https://qsgjb-riaaa-aaaaa-aaaga-cai.icp0.io"]}', "invalid format"),
    (b" " * (64 * 1024 + 1), "more than"),
])
def test_malformed_body_is_refused(body, why):
    check = check_alternative_origins(DAPP, URL, AlternativeOriginsResponse(200, False, body))
    assert not check.allowed and why in check.reason


@pytest.mark.parametrize("listed", [
    "https://qsgjb-riaaa-aaaaa-aaaga-cai.icp0.io/",  # a trailing slash is not the origin
    "https://QSGJB-riaaa-aaaaa-aaaga-cai.icp0.io",
    "http://qsgjb-riaaa-aaaaa-aaaga-cai.icp0.io",
    "https://qsgjb-riaaa-aaaaa-aaaga-cai.raw.icp0.io",
])
def test_origin_not_listed_is_refused(listed):
    check = check_alternative_origins(DAPP, URL, listing(listed))
    assert not check.allowed and "is not listed" in check.reason and listed in check.reason


def test_empty_list_is_refused():
    check = check_alternative_origins(DAPP, URL, listing())
    assert not check.allowed and "listed: none" in check.reason


@pytest.mark.parametrize("listed", [
    "https://qsgjb-riaaa-aaaaa-aaaga-cai.ic0.app",
    "https://qsgjb-riaaa-aaaaa-aaaga-cai.icp.net",
])
def test_gateway_names_are_one_site(listed):
    assert check_alternative_origins(DAPP, URL, listing(listed)).allowed


@pytest.mark.parametrize("request_origin,derivation_origin,expected", [
    (DAPP, None, False),
    (DAPP, DAPP, False),
    (DAPP, "https://qsgjb-riaaa-aaaaa-aaaga-cai.ic0.app", False),
    ("https://qsgjb-riaaa-aaaaa-aaaga-cai.icp.net", "https://qsgjb-riaaa-aaaaa-aaaga-cai.icp0.io", False),
    (DAPP, f"https://{CANISTER}.icp0.io", True),
    ("http://localhost:5173", "http://localhost:5174", True),
])
def test_needs_check(request_origin, derivation_origin, expected):
    assert needs_check(request_origin, derivation_origin) is expected


@pytest.mark.parametrize("origin,expected", [
    (f"https://{CANISTER}.icp0.io", CANISTER),
    (f"https://{CANISTER}.raw.icp0.io", CANISTER),
    (f"https://{CANISTER}.ic0.app", CANISTER),
    (f"https://{CANISTER}.icp.net", CANISTER),
    (f"https://{CANISTER}.internetcomputer.org", CANISTER),
    (f"http://{CANISTER}.localhost:4943", CANISTER),
    ("http://localhost:4943", None),
    ("https://icp0.io", None),
    ("https://www.icp0.io", None),
    (f"https://{CANISTER}.evil-icp0.io", None),
    (f"https://{CANISTER}.example.org", None),
    ("https://nice.example", None),
])
def test_canister_id_from_hostname(origin, expected):
    found = canister_id_from_hostname(origin)
    assert (found.to_text() if found else None) == expected


@pytest.mark.parametrize("value,expected", [
    (CANISTER, CANISTER), (f" {CANISTER}\n", CANISTER), (None, None), ("", None), ("xyz", None),
])
def test_canister_id_header(value, expected):
    found = parse_canister_id_header(value)
    assert (found.to_text() if found else None) == expected


@pytest.mark.parametrize("ii_origin,expected", [
    ("https://id.ai", URL),
    ("https://identity.internetcomputer.org", URL),
    ("https://identity.ic0.app", URL),
    ("http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943",
     f"http://localhost:4943/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
    ("http://localhost:8080", f"http://localhost:8080/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
    # icp-cli's local names of the II (issue 16 item 7): local, never mainnet's `https://id.ai` rule.
    ("http://id.ai.localhost:4943", f"http://localhost:4943/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
    ("http://uqzsh-gqaaa-aaaaq-qaada-cai.localhost:4943",
     f"http://localhost:4943/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
    ("http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost",
     f"http://localhost/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
    ("http://127.0.0.1:4943", f"http://127.0.0.1:4943/.well-known/ii-alternative-origins?canisterId={CANISTER}"),
])
def test_where_the_list_is_fetched_never_raw_never_the_custom_domain(ii_origin, expected):
    assert alternative_origins_url(Principal.from_text(CANISTER), ii_origin) == expected


def test_our_replica_serves_the_list_at_the_local_url():
    from urllib.parse import urlsplit

    from replica.app import App, CanisterGateway
    from replica.canisters.whoami import WhoamiCanister
    from replica.config import Config

    dapp = "http://bkyz2-fmaaa-aaaaa-qaaaq-cai.localhost:4943"
    whoami = WhoamiCanister(Principal.from_text(CANISTER), alternative_origins=[dapp])
    app = App(Config(), gateway=CanisterGateway({"whoami": whoami}), canister_names={CANISTER: "whoami"})
    url = urlsplit(alternative_origins_url(Principal.from_text(CANISTER), "http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943"))
    response = app.route(url.path, url.query, {"host": url.netloc})
    answer = AlternativeOriginsResponse(response.status, False, response.body)
    assert check_alternative_origins(dapp, url.geturl(), answer).allowed


def test_the_fetch_never_follows_redirects_and_sends_no_credentials():
    from app.protocol import FetchAlternativeOrigins

    fetch = FetchAlternativeOrigins(URL)
    assert (fetch.method, fetch.redirect, fetch.credentials, fetch.accept) == ("GET", "manual", "omit", "application/json")
