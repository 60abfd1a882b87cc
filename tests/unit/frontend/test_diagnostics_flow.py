"""The browser check flow under CPython, against a software authenticator (no browser)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from app.flows.diagnostics import run_passkey_check
from app.passkeys import Assertion, NewCredential, PasskeyError, PasskeyFailure
from ic.webauthn import verify_webauthn_signature
from tests.unit.ic.soft_authenticator import EDDSA, ES256, RS256, SoftAuthenticator

ORIGIN = "http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943"
RP_ID = "rdmx6-jaaaa-aaaaa-aaadq-cai.localhost"


def counter_random():
    counter = itertools.count(1)
    return lambda n: bytes([next(counter) % 256]) * n


def ports(authenticator: SoftAuthenticator, calls: list[str]):
    async def create(options):
        return NewCredential(authenticator.credential_id, authenticator.attestation_object(),
                             authenticator.client_data_json(options.challenge, kind="webauthn.create"))

    async def get(options):
        data, client, signature = authenticator.assert_challenge(options.challenge)
        return Assertion(authenticator.credential_id, data, client, signature)

    def start_create(options):
        calls.append("create")  # called synchronously: the prompt starts inside the click
        return create(options)

    def start_get(options):
        calls.append("get")
        assert options.allow_credentials == (authenticator.credential_id,)
        return get(options)

    return start_create, start_get


@pytest.mark.parametrize("alg", [ES256, EDDSA, RS256])
def test_check_reports_a_verifiable_ic_signature(alg):
    authenticator = SoftAuthenticator(alg, rp_id=RP_ID, origin=ORIGIN)
    calls: list[str] = []
    start_create, start_get = ports(authenticator, calls)
    pending = run_passkey_check(RP_ID, ORIGIN, counter_random(), start_create=start_create, start_get=start_get)
    assert calls == ["create"]  # before the first await
    result = asyncio.run(pending)
    assert calls == ["create", "get"]
    assert result["algorithm"] == alg
    assert result["rpIdHashMatches"] and result["create"]["challengeMatches"]
    assert result["get"]["challengeMatches"] and result["get"]["sameCredential"]
    verify_webauthn_signature(bytes.fromhex(result["publicKeyDer"]), bytes.fromhex(result["challenge"]),
                              bytes.fromhex(result["icSignature"]))


def test_a_cancelled_prompt_surfaces_as_passkey_error():
    async def refused(_options):
        raise PasskeyError(PasskeyFailure.CANCELLED, "NotAllowedError: user said no")

    pending = run_passkey_check(RP_ID, ORIGIN, counter_random(), start_create=refused, start_get=refused)
    with pytest.raises(PasskeyError, match="cancelled"):
        asyncio.run(pending)
