"""The browser check: create a throw-away passkey, sign with it, and decode both answers.

Pure: the browser's credential calls are passed in (`start_create`, `start_get` of
`app.browser.credentials`), so this runs under CPython with a software authenticator too. The
result carries the IC's WebAuthn signature blob, so a server can verify it
(`ic.webauthn.verify_webauthn_signature`).
"""

from __future__ import annotations

import hashlib
from typing import Any, Awaitable, Callable

from ic.webauthn import encode_webauthn_signature, parse_attestation_object, parse_client_data

from app.passkeys import Assertion, CreationOptions, NewCredential, PasskeyError, PasskeyFailure, RequestOptions

StartCreate = Callable[[CreationOptions], Awaitable[NewCredential]]
StartGet = Callable[[RequestOptions], Awaitable[Assertion]]


def run_passkey_check(rp_id: str, origin: str, random: Callable[[int], bytes], *,
                      start_create: StartCreate, start_get: StartGet) -> Awaitable[dict[str, Any]]:
    """Start the passkey prompt now (inside the click handler); await the result for the report."""
    challenge = random(32)
    pending = start_create(CreationOptions(challenge=challenge, rp_id=rp_id, user_id=random(16),
                                           user_name="Browser check"))
    return _finish(pending, challenge, rp_id, origin, random, start_get)


async def _finish(pending: Awaitable[NewCredential], create_challenge: bytes, rp_id: str,
                  origin: str, random: Callable[[int], bytes], start_get: StartGet) -> dict[str, Any]:
    created = await pending
    attestation = parse_attestation_object(created.attestation_object)
    credential = attestation.auth_data.attested_credential
    if credential is None:
        raise PasskeyError(PasskeyFailure.OTHER, "the authenticator returned no credential public key")
    create_client = parse_client_data(created.client_data_json)

    challenge = random(32)
    assertion = await start_get(RequestOptions(challenge=challenge, rp_id=rp_id,
                                               allow_credentials=(created.credential_id,)))
    get_client = parse_client_data(assertion.client_data_json)
    return {
        "credentialId": created.credential_id.hex(),
        "attestationFormat": attestation.fmt,
        "algorithm": credential.cose_key.alg,
        "publicKeyDer": credential.public_key().to_der().hex(),
        "rpIdHashMatches": attestation.auth_data.rp_id_hash == hashlib.sha256(rp_id.encode()).digest(),
        "userVerified": attestation.auth_data.user_verified,
        "create": {"type": create_client.type, "origin": create_client.origin,
                   "challengeMatches": create_client.challenge == create_challenge},
        "get": {"type": get_client.type, "origin": get_client.origin,
                "challengeMatches": get_client.challenge == challenge,
                "sameCredential": assertion.credential_id == created.credential_id,
                "expectedOrigin": origin},
        "challenge": challenge.hex(),
        "icSignature": encode_webauthn_signature(assertion.authenticator_data,
                                                 assertion.client_data_json,
                                                 assertion.signature).hex(),
    }
