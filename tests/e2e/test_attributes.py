"""ICRC-3 attribute sharing end to end: the @icp-sdk/auth demo dapp signs in and calls
`requestAttributes({keys, nonce})` in the same II window; the person consents on II's screen; the
dapp gets `{data, signature}`. Here, with `ic/` code only, the data decodes to the identity's name,
the dapp's nonce and origin, and the signature verifies as a canister signature of the dapp's user
key (its principal) against this replica's root key."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from ic import bls, candid
from ic.keys import VerifyContext, parse_der
from ic.principal import Principal
from ic.signatures import verify_signature
from tests.e2e import canister
from tests.e2e.conftest import wait_ready
from tests.e2e.dapp import TIMEOUT, ii, manage, open_dapp
from tests.pages import AttributeConsent, pick_identity

ICRC3_VALUE = candid.parse_did(
    "type Icrc3Value = variant { Nat : nat; Int : int; Blob : blob; Text : text; Array : vec Icrc3Value;"
    " Map : vec record { text; Icrc3Value } };").lookup("Icrc3Value")
DOMAIN = b"\x0eic-sender-info"


def named_identity(page, server, name: str) -> int:
    number = ii(page).open(server.ii_url).create_identity()
    view = manage(page).ready()
    view.name_identity(name)
    view.message("is named")
    return number


def request_attributes(context, server, keys: str):
    dapp = open_dapp(context, server.dapp_url("icrc.html?attributes=" + quote(keys)))
    with context.expect_page(timeout=TIMEOUT) as popup:
        dapp.click("[data-tid=attributes-button]")
    assert wait_ready(popup.value) == "ready"
    return dapp, popup.value


def dapp_text(dapp, tid: str) -> str:
    dapp.wait_for_selector(f"[data-tid={tid}]:not([hidden])", timeout=TIMEOUT)
    return dapp.text_content(f"[data-tid={tid}]")


def certified(server, dapp) -> dict:
    """The dapp's result, checked: decoded map, after the signature verified."""
    data = base64.b64decode(dapp_text(dapp, "attributes-data"))
    signature = base64.b64decode(dapp_text(dapp, "attributes-signature"))
    user_key = base64.b64decode(dapp_text(dapp, "attributes-user-key"))
    assert Principal.self_authenticating(user_key).to_text() == dapp_text(dapp, "principal")
    context = VerifyContext(root_key_der=canister.root_key(server), bls_verify=bls.arkworks_verify)
    verify_signature(parse_der(user_key), DOMAIN + data, signature, ctx=context)  # raises if invalid
    with pytest.raises(ValueError):
        verify_signature(parse_der(user_key), DOMAIN + data + b"\x00", signature, ctx=context)
    (value,) = candid.decode(data, [ICRC3_VALUE])
    return dict(value["Map"])


def test_the_name_is_shared_with_consent_and_verifies(dev_server, context, page):
    number = named_identity(page, dev_server, "Alice Example")
    dapp, popup = request_attributes(context, dev_server, "name,email")
    pick_identity(ii(popup), number)
    consent = AttributeConsent(ii(popup).driver).ready()
    assert consent.options() == [("name", "Alice Example", True)]
    assert "name, email" in consent.requested() and "email" in consent.unavailable()
    consent.share()

    entries = certified(dev_server, dapp)
    nonce = base64.b64decode(dapp_text(dapp, "attributes-nonce"))
    assert len(nonce) == 32
    dapp_origin = dev_server.dapp_url().rstrip("/")
    assert entries["name"] == {"Text": "Alice Example"}
    assert entries["implicit:nonce"] == {"Blob": nonce}
    assert entries["implicit:origin"] == {"Text": dapp_origin}
    assert set(entries) == {"name", "implicit:nonce", "implicit:origin", "implicit:issued_at_timestamp_ns"}
    assert "name = Alice Example" in dapp_text(dapp, "attributes-decoded")


def test_deny_all_shares_nothing_but_the_signed_envelope(dev_server, context, page):
    number = named_identity(page, dev_server, "Bob")
    dapp, popup = request_attributes(context, dev_server, "name")
    pick_identity(ii(popup), number)
    consent = AttributeConsent(ii(popup).driver).ready().deny_all()
    assert consent.options() == [("name", "Bob", False)]
    consent.share()
    entries = certified(dev_server, dapp)  # II's answer to a refusal: no attribute, still signed
    assert set(entries) == {"implicit:nonce", "implicit:origin", "implicit:issued_at_timestamp_ns"}


def test_keys_ii_does_not_know_are_the_dapps_error(dev_server, context, page):
    number = named_identity(page, dev_server, "Carol")
    dapp, popup = request_attributes(context, dev_server, "phone")
    pick_identity(ii(popup), number)
    error = dapp_text(dapp, "error")
    assert error == "attributes failed: Attribute sharing failed: ValidationError: Unknown attribute: phone"
