"""Envelopes and request signing: each identity's `sender_sig` verifies with `ic.signatures.verify_signature`."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ic import cbor
from ic.agent import (AgentError, AnonymousIdentity, DelegationIdentity, EcdsaIdentity, Ed25519Identity, call_content,
                      ingress_expiry, query_content, read_state_content, sign_request)
from ic.delegation import Delegation, DelegationChain, SignedDelegation, delegation_payload
from ic.signatures import verify_signature
from ic.principal import Principal
from ic.request_id import request_id

from .conftest import run
from .signers import webauthn_identity

CANISTER = Principal.from_text("qoctq-giaaa-aaaaa-aaaea-cai")
NOW_NS = 1_700_000_000_123_456_789
EXPIRY = ingress_expiry(NOW_NS)



IDENTITIES = {
    "ed25519-cryptography": lambda: Ed25519Identity.generate(backend="cryptography"),
    "ed25519-pure": lambda: Ed25519Identity(bytes(range(32)), backend="pure"),
    "ecdsa-p256": lambda: EcdsaIdentity.from_cryptography_key(ec.generate_private_key(ec.SECP256R1())),
    "webauthn": webauthn_identity,
}


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_call_envelope_signature_verifies(name):
    identity = IDENTITIES[name]()
    content = call_content(identity.sender(), CANISTER, "whoami", b"DIDL\x00\x00", expiry_ns=EXPIRY, nonce=b"n" * 16)
    signed = run(sign_request(identity, content))
    envelope = cbor.decode(signed.to_cbor())
    assert set(envelope) == {"content", "sender_pubkey", "sender_sig"}
    assert envelope["content"] == content.to_map()
    assert signed.request_id == request_id(envelope["content"])
    assert envelope["sender_pubkey"] == identity.public_key_der()
    assert Principal(envelope["content"]["sender"]) == Principal.self_authenticating(identity.public_key_der())
    verify_signature(envelope["sender_pubkey"], b"\x0aic-request" + signed.request_id, envelope["sender_sig"])


def test_ed25519_backends_agree():
    seed = bytes(range(32))
    pure, fast = Ed25519Identity(seed, backend="pure"), Ed25519Identity(seed, backend="cryptography")
    assert pure.public_key_der() == fast.public_key_der()
    assert run(pure.sign(b"payload")) == run(fast.sign(b"payload"))


def test_anonymous_envelope_is_content_only():
    identity = AnonymousIdentity()
    content = query_content(identity.sender(), CANISTER, "whoami", b"DIDL\x00\x00", expiry_ns=EXPIRY)
    envelope = cbor.decode(run(sign_request(identity, content)).to_cbor())
    assert envelope == {"content": content.to_map()}
    assert envelope["content"]["sender"] == b"\x04"
    assert "nonce" not in envelope["content"]


def test_read_state_content_paths():
    identity = AnonymousIdentity()
    content = read_state_content(identity.sender(), [["time"], [b"request_status", b"\x01" * 32]], expiry_ns=EXPIRY)
    assert content.to_map() == {
        "request_type": "read_state",
        "sender": b"\x04",
        "ingress_expiry": EXPIRY,
        "paths": [[b"time"], [b"request_status", b"\x01" * 32]],
    }


def test_delegation_identity_envelope():
    root = Ed25519Identity.generate()
    session = Ed25519Identity.generate()
    delegation = Delegation(session.public_key_der(), NOW_NS + 3600 * 10**9, (CANISTER,))
    link = SignedDelegation(delegation, run(root.sign(delegation_payload(delegation))))
    chain = DelegationChain((link,), root.public_key_der())
    identity = DelegationIdentity(session, chain)
    assert identity.sender() == root.sender()
    content = call_content(identity.sender(), CANISTER, "whoami", b"DIDL\x00\x00", expiry_ns=EXPIRY, nonce=None)
    signed = run(sign_request(identity, content))
    envelope = cbor.decode(signed.to_cbor())
    assert envelope["sender_pubkey"] == root.public_key_der()
    assert envelope["sender_delegation"] == [
        {
            "delegation": {"pubkey": session.public_key_der(), "expiration": NOW_NS + 3600 * 10**9, "targets": [CANISTER.raw]},
            "signature": link.signature,
        }
    ]
    verify_signature(root.public_key_der(), delegation_payload(delegation), link.signature)
    verify_signature(session.public_key_der(), b"\x0aic-request" + signed.request_id, envelope["sender_sig"])


def test_delegation_identity_refuses_a_chain_to_another_key():
    root, session, other = Ed25519Identity.generate(), Ed25519Identity.generate(), Ed25519Identity.generate()
    delegation = Delegation(other.public_key_der(), NOW_NS)
    chain = DelegationChain((SignedDelegation(delegation, run(root.sign(delegation_payload(delegation)))),), root.public_key_der())
    with pytest.raises(AgentError, match="another key"):
        DelegationIdentity(session, chain)


def test_sender_must_be_the_identitys():
    identity = Ed25519Identity.generate()
    content = call_content(Principal.anonymous(), CANISTER, "m", b"", expiry_ns=EXPIRY, nonce=None)
    with pytest.raises(AgentError, match="not the identity's principal"):
        run(sign_request(identity, content))


def test_ecdsa_signer_must_return_raw_r_s():
    key = ec.generate_private_key(ec.SECP256R1())
    good = EcdsaIdentity.from_cryptography_key(key)

    async def der_signer(message: bytes) -> bytes:
        return key.sign(message, ec.ECDSA(hashes.SHA256()))  # DER, as WebCrypto would never give

    bad = EcdsaIdentity(good.public_key_der(), der_signer)
    with pytest.raises(AgentError, match="64"):
        run(bad.sign(b"x"))


def test_ingress_expiry_rounds_like_agent_js():
    # agent-js transforms.test.ts: 2021-04-26T17:47:11.314Z + 5 min -> 17:52:00.000Z
    now_ns = 1619459231314 * 1_000_000
    assert ingress_expiry(now_ns) == 1619459520000 * 1_000_000
    # deltas under 90 s round to the second
    assert ingress_expiry(now_ns, 60_000) == 1619459291000 * 1_000_000
    # always within the replica's window (now, now + 5 min 30 s]
    for offset_ms in range(0, 120_000, 7_919):
        now = now_ns + offset_ms * 1_000_000
        assert now + 4 * 60 * 10**9 < ingress_expiry(now) <= now + 5 * 60 * 10**9
