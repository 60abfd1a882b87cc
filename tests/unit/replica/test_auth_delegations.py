"""Delegation chains: length, expiry, cycles, targets, signatures of each link."""

from __future__ import annotations

import pytest

from ic.delegation import ChainTooLong, LinkExpired, LinkSignatureInvalid, RepeatedKey, TooManyTargets
from replica.auth.errors import DelegationExpired, InvalidDelegation
from replica.auth.validate import _wire_error, format_time
from replica.http.testing import (
    DelegationIdentity,
    EcdsaIdentity,
    Ed25519Identity,
    WebAuthnIdentity,
    call_content,
    chain_identity,
    delegation_link,
    encode,
    envelope,
    principal_reply,
)

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
EMPTY_ARGS = b"DIDL\x00\x00"


def whoami(client, replica, identity, endpoint="query"):
    content = call_content(
        replica.canisters["whoami"].canister_id.raw,
        "whoami",
        EMPTY_ARGS,
        identity.principal,
        request_type="query" if endpoint == "query" else "call",
    )
    return client.post(f"/api/v2/canister/{WHOAMI}/{endpoint}", encode(envelope(content, identity)))


def pid(text: str) -> bytes:
    from ic.principal import Principal

    return Principal.from_text(text).raw


@pytest.mark.parametrize("length", [1, 2, 20])
def test_chains_up_to_20_links(client, replica, length):
    root = WebAuthnIdentity()
    me = chain_identity(root, [Ed25519Identity() for _ in range(length)])
    res = whoami(client, replica, me)
    assert res.status == 200, res.text
    assert res.cbor()["reply"]["arg"] == principal_reply(root.principal)


def test_21_links_are_too_many(client, replica):
    me = chain_identity(Ed25519Identity(), [Ed25519Identity() for _ in range(21)])
    res = whoami(client, replica, me)
    assert res.status == 400
    assert res.text.startswith("Invalid delegation: Chain of delegations is too long: got 21")


def test_mixed_schemes(client, replica):
    me = chain_identity(EcdsaIdentity(), [WebAuthnIdentity(), EcdsaIdentity("secp256k1"), Ed25519Identity()])
    assert whoami(client, replica, me, endpoint="call").status == 202


def test_expired_delegation(client, replica, clock):
    me = chain_identity(Ed25519Identity(), [Ed25519Identity()], expiration=clock() + 60 * 10**9)
    assert whoami(client, replica, me).status == 200
    clock.advance(61)
    res = whoami(client, replica, me)
    assert res.status == 400 and res.text.startswith("Invalid delegation expiry: ")


def test_cycle(client, replica, clock):
    root, a = Ed25519Identity(), Ed25519Identity()
    exp = clock() + 10**12
    chain = [delegation_link(root, a.der, exp), delegation_link(a, root.der, exp)]
    res = whoami(client, replica, DelegationIdentity(root.der, chain, root))
    assert res.status == 400 and "contains at least one cycle" in res.text


def test_self_delegation(client, replica, clock):
    root = Ed25519Identity()
    chain = [delegation_link(root, root.der, clock() + 10**12)]
    res = whoami(client, replica, DelegationIdentity(root.der, chain, root))
    assert res.status == 400 and "cycle" in res.text


def test_targets_enforced(client, replica):
    root = Ed25519Identity()
    allowed = chain_identity(root, [Ed25519Identity()], targets=[pid(WHOAMI)])
    assert whoami(client, replica, allowed).status == 200
    elsewhere = chain_identity(root, [Ed25519Identity()], targets=[pid(II)])
    res = whoami(client, replica, elsewhere)
    assert res.status == 400
    assert res.text == f"Canister '{WHOAMI}' is not one of the delegation targets."
    res = whoami(client, replica, elsewhere, endpoint="call")
    assert res.status == 400 and "not one of the delegation targets" in res.text


def test_targets_intersect_along_the_chain(client, replica, clock):
    root, a, b = Ed25519Identity(), Ed25519Identity(), Ed25519Identity()
    exp = clock() + 10**12
    chain = [delegation_link(root, a.der, exp, [pid(WHOAMI), pid(II)]), delegation_link(a, b.der, exp, [pid(II)])]
    res = whoami(client, replica, DelegationIdentity(root.der, chain, b))
    assert res.status == 400 and "not one of the delegation targets" in res.text


def test_1000_targets_ok_1001_refused(client, replica):
    many = [pid(WHOAMI)] + [i.to_bytes(8, "big") + b"\x01\x01" for i in range(100, 1099)]
    assert whoami(client, replica, chain_identity(Ed25519Identity(), [Ed25519Identity()], targets=many)).status == 200
    res = whoami(client, replica, chain_identity(Ed25519Identity(), [Ed25519Identity()], targets=many + [b"\x01"]))
    assert res.status == 400 and "too many targets: got 1001" in res.text


def test_link_signed_by_the_wrong_key(client, replica, clock):
    root, a, b = Ed25519Identity(), Ed25519Identity(), Ed25519Identity()
    exp = clock() + 10**12
    chain = [delegation_link(root, a.der, exp), delegation_link(a, b.der, exp, sign_with=root)]
    res = whoami(client, replica, DelegationIdentity(root.der, chain, b))
    assert res.status == 400
    assert res.text.startswith("Invalid delegation: Invalid signature of delegation 1")


def test_tampered_delegation_expiration(client, replica):
    me = chain_identity(Ed25519Identity(), [Ed25519Identity()])
    me.chain[0]["delegation"]["expiration"] += 1
    res = whoami(client, replica, me)
    assert res.status == 400 and res.text.startswith("Invalid delegation: Invalid signature of delegation 0")


def test_request_signed_by_the_root_instead_of_the_session(client, replica):
    root = Ed25519Identity()
    me = chain_identity(root, [Ed25519Identity()])
    me.session = root
    res = whoami(client, replica, me)
    assert res.status == 400 and "not signed by the last delegated key" in res.text


# --- the chain rules are ic.delegation's; the replica only words them -----------------------------


def test_the_replica_checks_chains_with_ic_delegation(client, replica, monkeypatch):
    import ic.delegation
    import replica.auth.validate as validate

    calls = []

    def spy(public_key, links, **kwargs):
        calls.append((public_key, len(links)))
        return ic.delegation.check_links(public_key, links, **kwargs)

    monkeypatch.setattr(validate, "check_links", spy)
    root = Ed25519Identity()
    me = chain_identity(root, [Ed25519Identity(), Ed25519Identity()])
    assert whoami(client, replica, me).status == 200
    assert calls == [(root.der, 2)]


def test_each_rule_has_the_replica_wire_text(client, replica, clock):
    root, a, b = Ed25519Identity(), Ed25519Identity(), Ed25519Identity()
    exp = clock() + 60 * 10**9

    res = whoami(client, replica, chain_identity(root, [Ed25519Identity() for _ in range(21)]))
    assert res.text == "Invalid delegation: Chain of delegations is too long: got 21 delegations, but at most 20 are allowed"

    cycle = [delegation_link(root, a.der, exp), delegation_link(a, root.der, exp)]
    res = whoami(client, replica, DelegationIdentity(root.der, cycle, root))
    assert res.text == (
        "Invalid delegation: Chain of delegations contains at least one cycle: "
        f"first repeating public key in delegations is {root.der.hex()}"
    )

    many = [i.to_bytes(8, "big") + b"\x01\x01" for i in range(1001)]
    res = whoami(client, replica, chain_identity(root, [a], targets=many))
    assert res.text == "Invalid delegation: Delegation 0 has too many targets: got 1001 targets, but at most 1000 are allowed"

    forged = [delegation_link(root, a.der, exp), delegation_link(a, b.der, exp, sign_with=root)]
    res = whoami(client, replica, DelegationIdentity(root.der, forged, b))
    assert res.text.startswith("Invalid delegation: Invalid signature of delegation 1 (signed by the key of delegation 0): ")
    res = whoami(client, replica, DelegationIdentity(b.der, forged[:1], a))
    assert res.text.startswith("Invalid delegation: Invalid signature of delegation 0 (signed by sender_pubkey): ")

    me = chain_identity(root, [a], expiration=exp)
    clock.advance(61)
    res = whoami(client, replica, me)
    assert res.text == (
        "Invalid delegation expiry: Specified sender delegation has expired: "
        f"delegation 0 expired at {format_time(exp)}, the replica time is {format_time(clock())}"
    )
    assert res.status == 400


@pytest.mark.parametrize(
    "error,kind,text",
    [
        (ChainTooLong(21), InvalidDelegation, "Invalid delegation: Chain of delegations is too long: got 21 delegations, but at most 20 are allowed"),
        (LinkExpired(3, 0, 10**9), DelegationExpired, "Invalid delegation expiry: Specified sender delegation has expired: delegation 3 expired at 1970-01-01 00:00:00.000000000 UTC, the replica time is 1970-01-01 00:00:01.000000000 UTC"),
        (RepeatedKey(1, b"\xab\xcd"), InvalidDelegation, "Invalid delegation: Chain of delegations contains at least one cycle: first repeating public key in delegations is abcd"),
        (TooManyTargets(2, 1001), InvalidDelegation, "Invalid delegation: Delegation 2 has too many targets: got 1001 targets, but at most 1000 are allowed"),
        (LinkSignatureInvalid(0, "bad"), InvalidDelegation, "Invalid delegation: Invalid signature of delegation 0 (signed by sender_pubkey): bad"),
        (LinkSignatureInvalid(4, "bad"), InvalidDelegation, "Invalid delegation: Invalid signature of delegation 4 (signed by the key of delegation 3): bad"),
    ],
    ids=["too-long", "expired", "cycle", "too-many-targets", "signature-link-0", "signature-link-4"],
)
def test_structured_errors_map_to_wire_errors(error, kind, text):
    wire = _wire_error(error)
    assert type(wire) is kind
    assert str(wire) == text
