"""Request signatures of every scheme, checked end to end through a query to whoami."""

from __future__ import annotations

import hashlib

import pytest

from replica.http.testing import (
    EcdsaIdentity,
    Ed25519Identity,
    Identity,
    WebAuthnIdentity,
    call_content,
    encode,
    envelope,
    principal_reply,
)

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
EMPTY_ARGS = b"DIDL\x00\x00"


def ask_whoami(client, replica, identity, *, mutate=None, endpoint="query"):
    request_type = "query" if endpoint == "query" else "call"
    sender = identity.principal if identity else b"\x04"
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami", EMPTY_ARGS, sender, request_type=request_type)
    env = envelope(content, identity)
    if mutate:
        mutate(env)
    return client.post(f"/api/v2/canister/{WHOAMI}/{endpoint}", encode(env))


class CanisterSigIdentity(Identity):
    """Signs like II: certified data over a `sig` tree, a data certificate from the replica."""

    def __init__(self, replica, seed: bytes = b"seed-1"):
        from ic.keys import CanisterSigPublicKey

        self.replica = replica
        self.canister = replica.canisters["whoami"].canister_id
        self.seed = seed
        self.der = CanisterSigPublicKey(self.canister, seed).to_der()

    def sign(self, message: bytes) -> bytes:
        from ic import cbor, hash_tree

        sig_tree = {b"sig": {hashlib.sha256(self.seed).digest(): {hashlib.sha256(message).digest(): b""}}}
        tree = hash_tree.build_tree(sig_tree)
        cid = self.canister.raw
        self.replica.state.set_certified_data(cid, hash_tree.reconstruct(tree))
        certificate = self.replica.state.data_certificate(cid, self.replica.clock())
        return cbor.encode({"certificate": certificate, "tree": hash_tree.encode_tree(tree)})


IDENTITIES = {
    "ed25519": Ed25519Identity,
    "p256": lambda: EcdsaIdentity("p256"),
    "secp256k1": lambda: EcdsaIdentity("secp256k1"),
    "webauthn": WebAuthnIdentity,
}


@pytest.mark.parametrize("scheme", IDENTITIES)
@pytest.mark.parametrize("endpoint", ["query", "call"])
def test_each_scheme_authenticates(client, replica, scheme, endpoint):
    me = IDENTITIES[scheme]()
    res = ask_whoami(client, replica, me, endpoint=endpoint)
    assert res.status in (200, 202), res.text
    if endpoint == "query":
        assert res.cbor()["reply"]["arg"] == principal_reply(me.principal)


def test_canister_signature_authenticates(client, replica):
    me = CanisterSigIdentity(replica)
    res = ask_whoami(client, replica, me)
    assert res.status == 200, res.text
    assert res.cbor()["reply"]["arg"] == principal_reply(me.principal)


def test_canister_signature_from_a_foreign_root_key_fails(client, replica, tmp_path):
    from replica.certification.keys import generate_keys
    from replica.certification.state import CertifiedState

    me = CanisterSigIdentity(replica)
    impostor = CertifiedState(generate_keys(), canister_ids=lambda: ())
    me.replica = type("R", (), {"state": impostor, "clock": replica.clock})()
    res = ask_whoami(client, replica, me)
    assert res.status == 400
    assert res.text.startswith("Invalid signature: ")


def test_canister_signature_for_another_message_fails(client, replica):
    me = CanisterSigIdentity(replica)
    other = me.sign(b"something else")

    def swap(env):
        env["sender_sig"] = other

    res = ask_whoami(client, replica, me, mutate=swap)
    assert res.status == 400 and res.text.startswith("Invalid signature: ")


@pytest.mark.parametrize("scheme", IDENTITIES)
def test_forged_signature(client, replica, scheme):
    me = IDENTITIES[scheme]()

    def forge(env):
        env["sender_sig"] = IDENTITIES[scheme]().sign(b"\x0aic-request" + b"\x00" * 32)

    res = ask_whoami(client, replica, me, mutate=forge)
    assert res.status == 400
    assert res.text.startswith("Invalid signature: Invalid basic signature: ")


def test_flipped_bit_in_signature(client, replica):
    def flip(env):
        env["sender_sig"] = bytes([env["sender_sig"][0] ^ 1]) + env["sender_sig"][1:]

    res = ask_whoami(client, replica, Ed25519Identity(), mutate=flip)
    assert res.status == 400 and res.text.startswith("Invalid signature: ")


def test_sender_must_match_the_public_key(client, replica):
    me, other = Ed25519Identity(), Ed25519Identity()

    def swap_key(env):
        env["sender_pubkey"] = other.der

    res = ask_whoami(client, replica, me, mutate=swap_key)
    assert res.status == 400
    assert res.text.startswith("The user id '") and "does not match the public key" in res.text


def test_missing_signature(client, replica):
    def drop(env):
        del env["sender_sig"]

    res = ask_whoami(client, replica, Ed25519Identity(), mutate=drop)
    assert res.status == 400 and res.text.startswith("Missing signature from user: ")


def test_anonymous_with_signature(client, replica):
    me = Ed25519Identity()

    def add(env):
        env["sender_pubkey"] = me.der
        env["sender_sig"] = b"\x00" * 64

    res = ask_whoami(client, replica, None, mutate=add)
    assert res.status == 400 and res.text == "Signature is not allowed for the anonymous user."


def test_unsupported_key(client, replica):
    me = Ed25519Identity()

    def garble(env):
        env["sender_pubkey"] = b"\x30\x03\x02\x01\x00"
        from ic.principal import Principal

        env["content"]["sender"] = Principal.self_authenticating(env["sender_pubkey"]).raw

    res = ask_whoami(client, replica, me, mutate=garble)
    assert res.status == 400 and res.text.startswith("Invalid signature: ")


def test_nonce_too_long(client, replica):
    me = Ed25519Identity()
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami_update", EMPTY_ARGS, me.principal, nonce=b"x" * 33)
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", encode(envelope(content, me)))
    assert res.status == 400 and "Nonce in request is too big" in res.text
