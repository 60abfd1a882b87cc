"""ic.canister_sig: canister signatures end to end, the way Internet Identity produces them.

A local "subnet" (a BLS key from ic.bls) certifies a state tree whose
`/canister/<II>/certified_data` is the root of II's signature tree
`fork(pruned(assets), labeled("sig", SHA-256(seed) → SHA-256(payload) → ""))` (ii-facts §4); the
signature is `{certificate, tree: witness}`. Every check of ic-interface-facts §8 has a failing case.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from ic import bls, cbor
from ic.canister_sig import parse_canister_signature, signature_path, verify_canister_signature
from ic.delegation import (
    Delegation,
    DelegationChain,
    SignedDelegation,
    delegation_payload,
    encode_chain_icrc34,
    encode_chain_json,
    verify_chain,
)
from ic.errors import DelegationError, SignatureError
from ic.hash_tree import Fork, Pruned, build_tree, encode_tree, prune, reconstruct
from ic.keys import CanisterSigPublicKey, VerifyContext, parse_der
from ic.signatures import verify_signature
from ic.principal import Principal
from ic.request_id import DOMAIN_STATE_ROOT, encode_leb128

NOW = 1_763_900_000_000_000_000
MINUTE = 60 * 10**9
II = Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai")
OTHER_CANISTER = Principal.from_canister_index(8)
ROOT_SECRET, ROOT_PUBLIC = bls.arkworks_keygen(b"root key of the canister-signature tests, 32+ bytes")
ROOT_DER = bls.der_encode_public_key(ROOT_PUBLIC)
CTX = VerifyContext(root_key_der=ROOT_DER, bls_verify=bls.arkworks_verify)
ASSETS_ROOT = hashlib.sha256(b"II's asset certification tree").digest()


def user_seed(anchor: int, origin: str) -> bytes:
    """Shaped like II's seed: SHA-256 of length-prefixed salt, anchor, frontend origin."""
    salt = bytes(32)
    parts = [salt, str(anchor).encode(), origin.encode()]
    return hashlib.sha256(b"".join(bytes([len(p)]) + p for p in parts)).digest()


class SignatureMap:
    """II's signature map: sig / SHA-256(seed) / SHA-256(payload) → "" beside the asset tree."""

    def __init__(self) -> None:
        self.entries: dict[bytes, dict[bytes, bytes]] = {}

    def add(self, seed: bytes, payload: bytes) -> None:
        _, seed_hash, payload_hash = signature_path(seed, payload)
        self.entries.setdefault(seed_hash, {})[payload_hash] = b""

    def tree(self):
        return Fork(Pruned(ASSETS_ROOT), build_tree({b"sig": self.entries}))

    def certified_data(self) -> bytes:
        return reconstruct(self.tree())

    def witness(self, seed: bytes, payload: bytes):
        return prune(self.tree(), [signature_path(seed, payload)])


def certify(state, *, secret: bytes = ROOT_SECRET, delegation: dict | None = None) -> bytes:
    """A certificate over `state` signed with `secret` (by default the root key)."""
    certificate = {"tree": encode_tree(state), "signature": bls.arkworks_sign(secret, DOMAIN_STATE_ROOT + reconstruct(state))}
    if delegation is not None:
        certificate["delegation"] = delegation
    return cbor.encode(certificate)


def state_tree(certified_data: bytes, *, canister: Principal = II, time_ns: int = NOW):
    return build_tree(
        {b"canister": {canister.raw: {b"certified_data": certified_data}}, b"time": encode_leb128(time_ns)}
    )


def canister_signature(certificate: bytes, witness) -> bytes:
    return cbor.encode({"certificate": certificate, "tree": encode_tree(witness)})


def sign_as_ii(seed: bytes, payload: bytes, *, others: int = 3, **state_options) -> bytes:
    """prepare_delegation (add + certify) and get_delegation (witness + certificate), in one go."""
    sigs = SignatureMap()
    for i in range(others):
        sigs.add(user_seed(10_000 + i, "https://other.example"), b"other payload %d" % i)
    sigs.add(seed, payload)
    certificate = certify(state_tree(sigs.certified_data(), **state_options))
    return canister_signature(certificate, sigs.witness(seed, payload))


SEED = user_seed(10_000, "https://dapp.example")
KEY = CanisterSigPublicKey(II, SEED)
PAYLOAD = b"\x1aic-request-auth-delegation" + hashlib.sha256(b"a delegation").digest()


# --- the signature itself ----------------------------------------------------------------------


def test_ii_style_signature_verifies():
    signature = sign_as_ii(SEED, PAYLOAD)
    assert signature[:3] == b"\xd9\xd9\xf7"
    parsed = parse_canister_signature(signature)
    assert isinstance(parsed.tree, Fork) and parsed.tree.left == Pruned(ASSETS_ROOT)
    verify_canister_signature(KEY, PAYLOAD, signature, ctx=CTX)
    verify_signature(KEY.to_der(), PAYLOAD, signature, ctx=CTX)  # as the replica calls it


def test_sig_only_certified_data_also_verifies():
    """Some II versions certify only the `sig` subtree."""
    tree = build_tree({b"sig": {hashlib.sha256(SEED).digest(): {hashlib.sha256(PAYLOAD).digest(): b""}}})
    signature = canister_signature(certify(state_tree(reconstruct(tree))), tree)
    verify_canister_signature(KEY, PAYLOAD, signature, ctx=CTX)


def _fail(signature: bytes, message: str, *, key: CanisterSigPublicKey = KEY, payload: bytes = PAYLOAD, ctx=CTX):
    with pytest.raises(SignatureError) as info:
        verify_canister_signature(key, payload, signature, ctx=ctx)
    assert message in str(info.value)
    return info.value


def test_other_payload_is_not_signed():
    _fail(sign_as_ii(SEED, PAYLOAD), "the tree does not contain sig/", payload=PAYLOAD + b"!")


def test_other_seed_is_not_signed():
    other_user = CanisterSigPublicKey(II, user_seed(10_001, "https://dapp.example"))
    _fail(sign_as_ii(SEED, PAYLOAD), "the tree does not contain sig/", key=other_user)


def test_other_canister_is_not_certified():
    other = CanisterSigPublicKey(OTHER_CANISTER, SEED)
    _fail(sign_as_ii(SEED, PAYLOAD), f"has no certified_data for canister {OTHER_CANISTER.to_text()}", key=other)


def test_certified_data_must_match_the_tree():
    sigs = SignatureMap()
    sigs.add(SEED, PAYLOAD)
    stale = certify(state_tree(hashlib.sha256(b"yesterday's certified data").digest()))
    _fail(canister_signature(stale, sigs.witness(SEED, PAYLOAD)), "but the signature tree's root hash is")


def test_certificate_must_come_from_the_root_key():
    secret, _ = bls.arkworks_keygen(b"an impostor subnet, also 32+ bytes long")
    sigs = SignatureMap()
    sigs.add(SEED, PAYLOAD)
    forged = certify(state_tree(sigs.certified_data()), secret=secret)
    _fail(canister_signature(forged, sigs.witness(SEED, PAYLOAD)), "canister signature: certificate: signature: BLS signature does not verify")


def test_certificate_age_is_checked_only_on_request():
    old = sign_as_ii(SEED, PAYLOAD, time_ns=NOW - 10 * MINUTE)
    verify_canister_signature(KEY, PAYLOAD, old, ctx=VerifyContext(ROOT_DER, bls.arkworks_verify, now_ns=NOW))
    strict = VerifyContext(ROOT_DER, bls.arkworks_verify, now_ns=NOW, max_certificate_age_ns=5 * MINUTE)
    _fail(old, "certificate: time: certificate is too old", ctx=strict)


@pytest.mark.parametrize(
    "blob,message",
    [
        (cbor.encode({"certificate": b"", "tree": [0]}, self_describe=False), "must start with the CBOR self-describe tag d9d9f7"),
        (b"\xd9\xd9\xf7\x83", "not valid CBOR"),
        (cbor.encode([b"", [0]]), "expected a CBOR map, found list"),
        (cbor.encode({"tree": [0]}), "field 'certificate' must be bytes, found NoneType"),
        (cbor.encode({"certificate": b"x"}), "field 'tree' is missing"),
        (cbor.encode({"certificate": b"x", "tree": [9]}), "field 'tree': hash tree: tree: node type must be 0..4"),
        (cbor.encode({"certificate": b"x", "tree": [0]}), "canister signature: certificate: decode"),
    ],
    ids=["untagged", "truncated", "list", "no-certificate", "no-tree", "bad-tree", "bad-certificate"],
)
def test_malformed_signatures(blob, message):
    _fail(blob, message)


def test_flipped_bytes_invalidate_the_signature():
    signature = sign_as_ii(SEED, PAYLOAD)
    for index in range(0, len(signature), 5):
        tampered = bytearray(signature)
        tampered[index] ^= 0x01
        with pytest.raises(SignatureError):
            verify_canister_signature(KEY, PAYLOAD, bytes(tampered), ctx=CTX)


# --- certificates with a subnet delegation -----------------------------------------------------

SUBNET_SECRET, SUBNET_PUBLIC = bls.arkworks_keygen(b"the II subnet's threshold key, 32+ bytes")
SUBNET_ID = Principal.self_authenticating(bls.der_encode_public_key(SUBNET_PUBLIC))


def delegated_signature(low: Principal, high: Principal) -> bytes:
    ranges = cbor.encode([[low.raw, high.raw]])
    subnet = {SUBNET_ID.raw: {b"canister_ranges": ranges, b"public_key": bls.der_encode_public_key(SUBNET_PUBLIC)}}
    delegation = {"subnet_id": SUBNET_ID.raw, "certificate": certify(build_tree({b"subnet": subnet, b"time": encode_leb128(NOW)}))}
    sigs = SignatureMap()
    sigs.add(SEED, PAYLOAD)
    certificate = certify(state_tree(sigs.certified_data()), secret=SUBNET_SECRET, delegation=delegation)
    return canister_signature(certificate, sigs.witness(SEED, PAYLOAD))


def test_subnet_delegation_covering_the_canister():
    verify_canister_signature(KEY, PAYLOAD, delegated_signature(Principal.from_canister_index(0), Principal.from_canister_index(100)), ctx=CTX)


def test_subnet_delegation_not_covering_the_canister():
    signature = delegated_signature(Principal.from_canister_index(8), Principal.from_canister_index(100))
    _fail(signature, f"canister {II.to_text()}")
    _fail(signature, "is not in the canister ranges of subnet")


# --- a delegation chain signed by II ------------------------------------------------------------


class SessionKey:
    """The dapp's WebCrypto-style ECDSA P-256 session key."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, payload: bytes) -> bytes:
        r, s = utils.decode_dss_signature(self.private.sign(payload, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def ii_chain(session: SessionKey, *, expiration: int = NOW + 30 * MINUTE) -> DelegationChain:
    """What II hands a dapp: one delegation to the session key, signed by II's canister signature."""
    delegation = Delegation(session.der, expiration)
    signature = sign_as_ii(SEED, delegation_payload(delegation))
    return DelegationChain((SignedDelegation(delegation, signature),), KEY.to_der())


def test_ii_delegation_chain_authenticates_the_user():
    session = SessionKey()
    chain = ii_chain(session)
    principal = verify_chain(chain, ctx=CTX, now_ns=NOW, session_public_key=session.der, expected_target=OTHER_CANISTER)
    assert principal == Principal.self_authenticating(KEY.to_der()) == KEY.principal()
    assert parse_der(chain.public_key) == KEY
    # The session key then signs requests: sender_sig over \x0Aic-request ‖ request id.
    message = b"\x0aic-request" + bytes(32)
    verify_signature(chain.delegations[-1].delegation.pubkey, message, session.sign(message))


def test_ii_delegation_chain_rejections():
    session = SessionKey()
    chain = ii_chain(session)
    link = chain.delegations[0]
    with pytest.raises(DelegationError, match="delegation 0 expired"):
        verify_chain(chain, ctx=CTX, now_ns=NOW + 31 * MINUTE)
    stretched = SignedDelegation(Delegation(session.der, link.delegation.expiration + 1), link.signature)
    with pytest.raises(DelegationError, match="delegation 0: signature by the chain public key does not verify: canister signature: the tree does not contain sig/"):
        verify_chain(DelegationChain((stretched,), chain.public_key), ctx=CTX, now_ns=NOW)
    impostor = CanisterSigPublicKey(II, user_seed(10_001, "https://dapp.example")).to_der()
    with pytest.raises(DelegationError, match="does not verify: canister signature: the tree does not contain"):
        verify_chain(DelegationChain(chain.delegations, impostor), ctx=CTX, now_ns=NOW)
    other_root = VerifyContext(bls.der_encode_public_key(SUBNET_PUBLIC), bls.arkworks_verify)
    with pytest.raises(DelegationError, match="canister signature: certificate: signature"):
        verify_chain(chain, ctx=other_root, now_ns=NOW)
    flipped = bytearray(link.signature)
    flipped[len(flipped) // 2] ^= 0x80
    with pytest.raises(DelegationError, match="delegation 0: signature by the chain public key does not verify"):
        verify_chain(DelegationChain((SignedDelegation(link.delegation, bytes(flipped)),), chain.public_key), ctx=CTX, now_ns=NOW)


def _cli(path: Path, *extra: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "ic.delegation", str(path), "--root-key", ROOT_DER.hex(), "--now-ns", str(NOW), *extra],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout)


def test_cli_verifies_an_ii_chain_in_both_json_forms(tmp_path):
    session = SessionKey()
    chain = ii_chain(session)
    expected = {"valid": True, "principal": KEY.principal().to_text()}
    for name, form in (("agent-js.json", encode_chain_json), ("icrc34.json", encode_chain_icrc34)):
        path = tmp_path / name
        path.write_text(json.dumps(form(chain)))
        assert _cli(path, "--session-key", session.der.hex()) == (0, expected)
    tampered = encode_chain_json(chain)
    signature = tampered["delegations"][0]["signature"]
    tampered["delegations"][0]["signature"] = signature[:200] + ("0" if signature[200] != "0" else "1") + signature[201:]
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(tampered))
    status, out = _cli(path)
    assert status == 1 and out["valid"] is False and out["principal"] is None
    assert out["error"].startswith("delegation 0: signature by the chain public key does not verify")


def test_cli_accepts_the_raw_root_key_and_checks_the_target(tmp_path, capsys):
    from ic.delegation import main

    chain = ii_chain(SessionKey())
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(encode_chain_icrc34(chain)))
    common = [str(path), "--root-key", ROOT_PUBLIC.hex(), "--now-ns", str(NOW)]
    assert main(common + ["--target", II.to_text()]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "principal": KEY.principal().to_text()}
    assert main([str(path), "--root-key", ROOT_PUBLIC.hex()[:-2], "--now-ns", str(NOW)]) == 1
    assert "canister signature: certificate: root key" in json.loads(capsys.readouterr().out)["error"]
