"""Python in the page creates a passkey and signs with it through navigator.credentials (CDP
virtual authenticator), decodes the attestation with cbor2, and the signature verifies here."""

from __future__ import annotations

import json

from ic.webauthn import verify_webauthn_signature
from tests.e2e.conftest import wait_ready


def test_python_creates_a_passkey_and_signs_with_it(server, page):
    page.goto(server.ii_url + "#diagnostics")
    assert wait_ready(page) == "ready"
    page.click("#diagnosticsRun")
    result_box = page.locator("[data-role=diagnostics-result]")
    result_box.wait_for(timeout=30_000)
    assert result_box.get_attribute("data-status") == "ok", result_box.text_content()
    result = json.loads(result_box.text_content())
    assert result["algorithm"] == -7  # the virtual authenticator's ES256
    assert result["rpIdHashMatches"] and result["userVerified"]
    assert result["create"] == {"type": "webauthn.create", "origin": server.ii_url.rstrip("/"),
                                "challengeMatches": True}
    assert result["get"]["challengeMatches"] and result["get"]["sameCredential"]
    verify_webauthn_signature(bytes.fromhex(result["publicKeyDer"]), bytes.fromhex(result["challenge"]),
                              bytes.fromhex(result["icSignature"]),
                              expected_origin=server.ii_url.rstrip("/"))

