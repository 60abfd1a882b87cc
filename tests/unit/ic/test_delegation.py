"""ic.delegation: hashes, JSON forms, CBOR form, chain verification and the command line."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from hypothesis import given, settings
from hypothesis import strategies as st

from ic.delegation import (
    DELEGATION_DOMAIN,
    ChainTooLong,
    Delegation,
    DelegationChain,
    LinkExpired,
    LinkSignatureInvalid,
    RepeatedKey,
    SignedDelegation,
    TooManyTargets,
    check_links,
    delegation_hash,
    delegation_payload,
    encode_chain_icrc34,
    encode_chain_json,
    encode_sender_delegation,
    main,
    parse_chain_json,
    parse_sender_delegation,
    sign_delegation,
    verify_chain,
)
from ic.errors import DelegationError
from ic.keys import VerifyContext
from ic.principal import Principal
from ic.webauthn import encode_webauthn_signature, public_key_from_attestation
from tests.unit.ic.soft_authenticator import ES256, SoftAuthenticator

NOW = 1_700_000_000_000_000_000
HOUR = 3600 * 10**9
II = Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai")
WHOAMI = Principal.from_bytes(bytes.fromhex("00000000000000080101"))
LEDGER = Principal.from_text("ryjl3-tyaaa-aaaaa-aaaba-cai")


def _unused_bls(signature: bytes, message: bytes, public_key: bytes) -> bool:
    raise AssertionError("no canister signature in this chain")


CTX = VerifyContext(root_key_der=b"", bls_verify=_unused_bls)


class Ed25519Signer:
    def __init__(self) -> None:
        self.private = ed25519.Ed25519PrivateKey.generate()
        self.der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, payload: bytes) -> bytes:
        return self.private.sign(payload)


class P256Signer(Ed25519Signer):
    """A WebCrypto-style session key: ECDSA P-256, signatures as r ‖ s."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, payload: bytes) -> bytes:
        r, s = utils.decode_dss_signature(self.private.sign(payload, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _chain(signers, *, expiration=NOW + HOUR, targets=None) -> DelegationChain:
    """signers[0] delegates to signers[1], ... ; `targets` is one entry (or None) per link."""
    links = []
    for i in range(len(signers) - 1):
        link_targets = targets[i] if targets else None
        links.append(sign_delegation(Delegation(signers[i + 1].der, expiration, link_targets), signers[i].sign))
    return DelegationChain(tuple(links), signers[0].der)


# --- hash and payload --------------------------------------------------------------------------


def test_delegation_hash_matches_agent_js_vector():
    # agent-js packages/agent/src/request_id.test.ts, "requestIdOf for sender_delegation signature"
    # (copied into shared/reference/request_id_examples.json as agentjs_sender_delegation_hash).
    delegation = Delegation(
        bytes.fromhex("302a300506032b6570032100819d9fe3ac251039f934cdc925da0b019848af9d650d4136fb5d955cff17f78e"),
        1611365875951000000,
        (Principal.from_bytes(bytes.fromhex("000000000030004d0101")), Principal.from_bytes(bytes.fromhex("000000000020002b0101"))),
    )
    assert delegation_hash(delegation).hex() == "f0c66015041eccb5528fc7fd817bb4d0707369d7e1383d3cdaa074b2b2236824"
    assert delegation_payload(delegation) == b"\x1aic-request-auth-delegation" + delegation_hash(delegation)
    assert len(DELEGATION_DOMAIN) == 27 and DELEGATION_DOMAIN[0] == 26


def test_absent_targets_are_omitted_not_empty():
    without = Delegation(b"\x01" * 44, 5)
    empty = Delegation(b"\x01" * 44, 5, ())
    assert "targets" not in without.to_map()
    assert empty.to_map()["targets"] == []
    assert delegation_hash(without) != delegation_hash(empty)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Delegation("00", 1), "pubkey: expected bytes, found str"),
        (lambda: Delegation(b"", 1.5), "expiration: expected an integer, found float"),
        (lambda: Delegation(b"", True), "expiration: expected an integer, found bool"),
        (lambda: Delegation(b"", 2**64), "is not a 64-bit unsigned integer"),
        (lambda: Delegation(b"", 1, [II]), "expected a tuple of Principal values"),
        (lambda: SignedDelegation(Delegation(b"", 1), "sig"), "signature must be bytes"),
        (lambda: DelegationChain([], b""), "delegations must be a tuple"),
    ],
)
def test_values_check_their_types(make, message):
    with pytest.raises(DelegationError, match=message):
        make()


# --- JSON forms ------------------------------------------------------------------------------


def _sample_chain() -> DelegationChain:
    first = Delegation(b"\xaa" * 44, 0x18A2_B3C4_D5E6_F708, (II, WHOAMI))
    second = Delegation(b"\xbb" * 91, 1_700_000_000_123_456_789)
    return DelegationChain((SignedDelegation(first, b"\x01" * 64), SignedDelegation(second, b"\x02" * 64)), b"\xcc" * 62)


def test_agent_js_json_form():
    chain = _sample_chain()
    encoded = encode_chain_json(chain)
    assert list(encoded) == ["delegations", "publicKey"]
    first = encoded["delegations"][0]
    assert list(first) == ["delegation", "signature"]
    assert first["delegation"] == {
        "expiration": "18a2b3c4d5e6f708",  # BigInt.toString(16): lower case, no 0x
        "pubkey": "aa" * 44,
        "targets": ["00000000000000070101", "00000000000000080101"],  # Principal.toHex(): upper case
    }
    assert "targets" not in encoded["delegations"][1]["delegation"]
    assert encoded["publicKey"] == "cc" * 62
    assert parse_chain_json(encoded) == chain
    assert parse_chain_json(json.dumps(encoded)) == chain


def test_icrc34_json_form():
    chain = _sample_chain()
    encoded = encode_chain_icrc34(chain)
    assert list(encoded) == ["publicKey", "signerDelegation"]
    inner = encoded["signerDelegation"][1]["delegation"]
    assert inner == {"pubkey": "u7u7" * 30 + "uw==", "expiration": "1700000000123456789"}
    assert encoded["signerDelegation"][0]["delegation"]["targets"] == [II.to_text(), WHOAMI.to_text()]
    assert parse_chain_json(encoded) == chain
    # @icp-sdk/auth accepts a number as well as a string for the expiration.
    encoded["signerDelegation"][1]["delegation"]["expiration"] = 1_700_000_000_123_456_789
    assert parse_chain_json(encoded) == chain


def test_json_upper_case_hex_is_accepted():
    encoded = encode_chain_json(_sample_chain())
    encoded["publicKey"] = encoded["publicKey"].upper()
    encoded["delegations"][0]["delegation"]["expiration"] = "18A2B3C4D5E6F708"
    assert parse_chain_json(encoded) == _sample_chain()


def _mutate(path, value, form=encode_chain_json):
    encoded = form(_sample_chain())
    target = encoded
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return encoded


@pytest.mark.parametrize(
    "obj,message",
    [
        ("{", "not valid JSON"),
        ([], "expected a JSON object, found list"),
        ({"userPublicKey": "00"}, "expected 'delegations' (@dfinity/identity JSON) or 'signerDelegation' (ICRC-34)"),
        (_mutate(["publicKey"], "abc"), "publicKey: expected an even-length hex string"),
        (_mutate(["publicKey"], KeyError), "field 'publicKey' is missing"),
        (_mutate(["delegations"], {}), "delegations: expected an array, found dict"),
        (_mutate(["delegations", 0, "signature"], "zz"), "delegations[0].signature: expected an even-length hex string"),
        (_mutate(["delegations", 1, "delegation", "expiration"], "0x10"), "delegations[1].delegation.expiration: expected the expiration as a hex string"),
        (_mutate(["delegations", 1, "delegation", "expiration"], 5), "expected the expiration as a hex string"),
        (_mutate(["delegations", 0, "delegation", "targets"], "00"), "targets: expected an array, found str"),
        (_mutate(["delegations", 0, "delegation", "targets", 0], "00" * 30), "delegations[0].delegation.targets[0]"),
        (_mutate(["delegations", 0, "delegation"], KeyError), "delegations[0]: field 'delegation' is missing"),
        (_mutate(["signerDelegation", 0, "signature"], "not base64!", encode_chain_icrc34), "signerDelegation[0].signature: not valid base64"),
        (_mutate(["signerDelegation", 0, "delegation", "expiration"], "12.5", encode_chain_icrc34), "expected the expiration as a decimal string (ICRC-34)"),
        (_mutate(["signerDelegation", 0, "delegation", "targets", 0], "aaaaa-ab", encode_chain_icrc34), "signerDelegation[0].delegation.targets[0]"),
        (_mutate(["signerDelegation", 0, "delegation", "pubkey"], 7, encode_chain_icrc34), "pubkey: expected a base64 string, found int"),
    ],
    ids=lambda value: None if not isinstance(value, str) else value[:30],
)
def test_parse_chain_json_rejects(obj, message):
    with pytest.raises(DelegationError) as info:
        parse_chain_json(obj)
    assert message in str(info.value)


# --- CBOR form -----------------------------------------------------------------------------


def test_sender_delegation_round_trip():
    chain = _sample_chain()
    encoded = encode_sender_delegation(chain.delegations)
    assert encoded[0] == {
        "delegation": {"pubkey": b"\xaa" * 44, "expiration": 0x18A2_B3C4_D5E6_F708, "targets": [II.raw, WHOAMI.raw]},
        "signature": b"\x01" * 64,
    }
    assert parse_sender_delegation(encoded) == chain.delegations


@pytest.mark.parametrize(
    "value,message",
    [
        ({}, "sender_delegation: expected an array, found dict"),
        ([5], "sender_delegation[0]: expected a map, found int"),
        ([{"signature": b""}], "sender_delegation[0].delegation: expected a map, found NoneType"),
        ([{"delegation": {"expiration": 1}, "signature": b""}], "sender_delegation[0].delegation: field 'pubkey' is missing"),
        ([{"delegation": {"pubkey": b"", "expiration": "1"}, "signature": b""}], "expiration: expected int, found str"),
        ([{"delegation": {"pubkey": b"", "expiration": 1, "targets": ["x"]}, "signature": b""}], "expected an array of principal bytes"),
        ([{"delegation": {"pubkey": b"", "expiration": 1}}], "sender_delegation[0]: field 'signature' is missing"),
    ],
)
def test_parse_sender_delegation_rejects(value, message):
    with pytest.raises(DelegationError) as info:
        parse_sender_delegation(value)
    assert message in str(info.value)


# --- verification --------------------------------------------------------------------------


def test_verify_single_link_returns_self_authenticating_principal():
    identity, session = Ed25519Signer(), P256Signer()
    chain = _chain([identity, session])
    principal = verify_chain(chain, ctx=CTX, now_ns=NOW, session_public_key=session.der)
    assert principal == Principal.self_authenticating(identity.der)
    assert principal == chain.principal()


def test_verify_passkey_to_session_to_dapp_key():
    """II's own frontend: passkey → session key (WebAuthn signature), then session → dapp key."""
    authenticator = SoftAuthenticator(ES256)
    passkey_der = public_key_from_attestation(authenticator.attestation_object()).to_der()
    session, dapp = P256Signer(), Ed25519Signer()

    def passkey_sign(payload: bytes) -> bytes:
        return encode_webauthn_signature(*authenticator.assert_challenge(payload))

    first = sign_delegation(Delegation(session.der, NOW + HOUR, (II,)), passkey_sign)
    second = sign_delegation(Delegation(dapp.der, NOW + HOUR), session.sign)
    chain = DelegationChain((first, second), passkey_der)
    assert verify_chain(chain, ctx=CTX, now_ns=NOW, session_public_key=dapp.der, expected_target=II) == chain.principal()
    with pytest.raises(DelegationError, match=f"canister '{WHOAMI.to_text()}' is not one of the delegation targets"):
        verify_chain(chain, ctx=CTX, now_ns=NOW, expected_target=WHOAMI)


def test_expiration_equal_to_now_is_still_valid():
    identity, session = Ed25519Signer(), Ed25519Signer()
    verify_chain(_chain([identity, session], expiration=NOW), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match=f"delegation 0 expired: expiration {NOW} ns is before now \\({NOW + 1} ns\\)"):
        verify_chain(_chain([identity, session], expiration=NOW), ctx=CTX, now_ns=NOW + 1)


def test_every_link_is_checked_for_expiry():
    a, b, c = Ed25519Signer(), Ed25519Signer(), Ed25519Signer()
    first = sign_delegation(Delegation(b.der, NOW + HOUR), a.sign)
    second = sign_delegation(Delegation(c.der, NOW - 1), b.sign)
    with pytest.raises(DelegationError, match="delegation 1 expired"):
        verify_chain(DelegationChain((first, second), a.der), ctx=CTX, now_ns=NOW)


def test_chain_length_limits():
    signers = [Ed25519Signer() for _ in range(22)]
    verify_chain(_chain(signers[:21]), ctx=CTX, now_ns=NOW)  # 20 links
    with pytest.raises(DelegationError, match="21 delegations, at most 20 are allowed"):
        verify_chain(_chain(signers), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match="delegation chain is empty"):
        verify_chain(DelegationChain((), signers[0].der), ctx=CTX, now_ns=NOW)


def test_repeated_key_is_a_cycle():
    a, b = Ed25519Signer(), Ed25519Signer()
    with pytest.raises(DelegationError, match="delegation 1 repeats a public key already in the chain"):
        verify_chain(_chain([a, b, a]), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match="delegation 0 repeats a public key"):
        verify_chain(_chain([a, a]), ctx=CTX, now_ns=NOW)


def test_target_count_limit():
    a, b = Ed25519Signer(), Ed25519Signer()
    many = tuple(Principal.from_bytes(i.to_bytes(8, "big") + b"\x01\x01") for i in range(1001))
    verify_chain(_chain([a, b], targets=[many[:1000]]), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match="delegation 0 has 1001 targets, at most 1000 are allowed"):
        verify_chain(_chain([a, b], targets=[many]), ctx=CTX, now_ns=NOW)


def test_targets_intersect_across_links():
    a, b, c = Ed25519Signer(), Ed25519Signer(), Ed25519Signer()
    chain = _chain([a, b, c], targets=[(II, WHOAMI), (WHOAMI, LEDGER)])
    verify_chain(chain, ctx=CTX, now_ns=NOW, expected_target=WHOAMI)
    for outside in (II, LEDGER):
        with pytest.raises(DelegationError, match="is not one of the delegation targets"):
            verify_chain(chain, ctx=CTX, now_ns=NOW, expected_target=outside)
    unscoped = _chain([a, b, c])
    verify_chain(unscoped, ctx=CTX, now_ns=NOW, expected_target=LEDGER)


def test_bad_signature_names_the_link_and_signer():
    a, b, c = Ed25519Signer(), P256Signer(), Ed25519Signer()
    chain = _chain([a, b, c])
    forged = SignedDelegation(chain.delegations[1].delegation, Ed25519Signer().sign(b"other"))
    with pytest.raises(DelegationError, match="delegation 1: signature by the pubkey of delegation 0 does not verify"):
        verify_chain(DelegationChain((chain.delegations[0], forged), a.der), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match="delegation 0: signature by the chain public key does not verify"):
        verify_chain(DelegationChain(chain.delegations, Ed25519Signer().der), ctx=CTX, now_ns=NOW)


def test_changed_expiration_breaks_the_signature():
    a, b = Ed25519Signer(), Ed25519Signer()
    link = _chain([a, b]).delegations[0]
    stretched = SignedDelegation(Delegation(b.der, link.delegation.expiration + 1), link.signature)
    with pytest.raises(DelegationError, match="signature by the chain public key does not verify"):
        verify_chain(DelegationChain((stretched,), a.der), ctx=CTX, now_ns=NOW)


def test_wrong_session_key():
    a, b = Ed25519Signer(), Ed25519Signer()
    other = Ed25519Signer()
    with pytest.raises(DelegationError, match="the last delegation is not to the session key"):
        verify_chain(_chain([a, b]), ctx=CTX, now_ns=NOW, session_public_key=other.der)


def test_unreadable_keys():
    a = Ed25519Signer()
    garbage = sign_delegation(Delegation(b"\x30\x00", NOW + HOUR), a.sign)
    with pytest.raises(DelegationError, match="delegation 0: pubkey: DER"):
        verify_chain(DelegationChain((garbage,), a.der), ctx=CTX, now_ns=NOW)
    with pytest.raises(DelegationError, match="chain public key: DER"):
        verify_chain(DelegationChain((garbage,), b"\x30\x01\x00"), ctx=CTX, now_ns=NOW)


# --- check_links: the rules over any links, with structured errors ------------------------------


def _link(pubkey: bytes, expiration: int = NOW + HOUR, targets=None, signature: bytes = b"sig"):
    """A link as the replica parses it: only the attributes check_links reads."""
    return SimpleNamespace(delegation=SimpleNamespace(pubkey=pubkey, expiration=expiration, targets=targets), signature=signature)


def _accept(_index, _signer, _link) -> None:
    return None


def test_check_links_walks_any_links_and_returns_the_targets():
    calls = []
    links = [_link(b"a", targets=(b"x", b"y")), _link(b"b"), _link(b"c", targets=(b"y", b"z"))]
    targets = check_links(b"root", links, now_ns=NOW, verify_link=lambda *args: calls.append(args))
    assert targets == frozenset({b"y"})
    assert calls == [(0, b"root", links[0]), (1, b"a", links[1]), (2, b"b", links[2])]
    assert check_links(b"root", [_link(b"a")], now_ns=NOW, verify_link=_accept) is None


def test_check_links_allows_an_empty_chain():
    assert check_links(b"root", (), now_ns=NOW, verify_link=_accept) is None


def test_check_links_errors_carry_the_facts():
    with pytest.raises(ChainTooLong) as info:
        check_links(b"root", [_link(bytes([i])) for i in range(21)], now_ns=NOW, verify_link=_accept)
    assert info.value.count == 21
    assert str(info.value) == "delegation chain is too long: 21 delegations, at most 20 are allowed"

    with pytest.raises(LinkExpired) as info:
        check_links(b"root", [_link(b"a"), _link(b"b", expiration=NOW - 1)], now_ns=NOW, verify_link=_accept)
    assert (info.value.index, info.value.expiration, info.value.now) == (1, NOW - 1, NOW)
    assert str(info.value) == f"delegation 1 expired: expiration {NOW - 1} ns is before now ({NOW} ns)"

    with pytest.raises(RepeatedKey) as info:
        check_links(b"root", [_link(b"a"), _link(b"root")], now_ns=NOW, verify_link=_accept)
    assert (info.value.index, info.value.pubkey) == (1, b"root")
    assert str(info.value) == "delegation 1 repeats a public key already in the chain (a cycle): 726f6f74"

    with pytest.raises(TooManyTargets) as info:
        check_links(b"root", [_link(b"a", targets=tuple(range(1001)))], now_ns=NOW, verify_link=_accept)
    assert (info.value.index, info.value.count) == (0, 1001)
    assert str(info.value) == "delegation 0 has 1001 targets, at most 1000 are allowed"

    def refuse_second(index, _signer, _link):
        if index == 1:
            raise ValueError("Ed25519 signature: does not verify")

    with pytest.raises(LinkSignatureInvalid) as info:
        check_links(b"root", [_link(b"a"), _link(b"b")], now_ns=NOW, verify_link=refuse_second)
    assert (info.value.index, info.value.reason) == (1, "Ed25519 signature: does not verify")
    assert str(info.value) == "delegation 1: signature by the pubkey of delegation 0 does not verify: Ed25519 signature: does not verify"


def test_check_links_keeps_the_replica_order():
    def never(*_args):
        raise AssertionError("no signature is checked before the other rules pass")

    too_long_and_expired = [_link(bytes([i]), expiration=0) for i in range(21)]
    with pytest.raises(ChainTooLong):
        check_links(b"root", too_long_and_expired, now_ns=NOW, verify_link=never)
    expired_and_cycle = [_link(b"root", expiration=0)]
    with pytest.raises(LinkExpired):
        check_links(b"root", expired_and_cycle, now_ns=NOW, verify_link=never)
    cycle_and_targets = [_link(b"a", targets=tuple(range(1001))), _link(b"a")]
    with pytest.raises(RepeatedKey):
        check_links(b"root", cycle_and_targets, now_ns=NOW, verify_link=never)
    with pytest.raises(TooManyTargets):
        check_links(b"root", [_link(b"a", targets=tuple(range(1001)))], now_ns=NOW, verify_link=never)


def test_check_links_passes_delegation_errors_of_the_callback_through():
    unreadable = DelegationError("delegation 0: pubkey: DER: truncated")

    def fail(*_args):
        raise unreadable

    with pytest.raises(DelegationError) as info:
        check_links(b"root", [_link(b"a")], now_ns=NOW, verify_link=fail)
    assert info.value is unreadable


def test_verify_chain_raises_the_structured_errors():
    a, b, c = Ed25519Signer(), Ed25519Signer(), Ed25519Signer()
    with pytest.raises(LinkExpired) as info:
        verify_chain(_chain([a, b], expiration=NOW - 5), ctx=CTX, now_ns=NOW)
    assert (info.value.index, info.value.expiration, info.value.now) == (0, NOW - 5, NOW)
    with pytest.raises(RepeatedKey) as info:
        verify_chain(_chain([a, b, a]), ctx=CTX, now_ns=NOW)
    assert (info.value.index, info.value.pubkey) == (1, a.der)
    chain = _chain([a, b, c])
    forged = SignedDelegation(chain.delegations[1].delegation, c.sign(b"other"))
    with pytest.raises(LinkSignatureInvalid) as info:
        verify_chain(DelegationChain((chain.delegations[0], forged), a.der), ctx=CTX, now_ns=NOW)
    assert info.value.index == 1 and info.value.reason.startswith("Ed25519")
    for kind in (ChainTooLong, LinkExpired, RepeatedKey, TooManyTargets, LinkSignatureInvalid):
        assert issubclass(kind, DelegationError) and issubclass(kind, ValueError)


# --- command line ----------------------------------------------------------------------------

ROOT_KEY_HEX = (
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
)


def _run(capsys, *argv) -> tuple[int, dict]:
    status = main(list(argv))
    return status, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("form", [encode_chain_json, encode_chain_icrc34], ids=["agent-js", "icrc34"])
def test_cli_valid_and_invalid(tmp_path, capsys, form):
    identity, session = Ed25519Signer(), P256Signer()
    chain = _chain([identity, session])
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(form(chain)))
    status, out = _run(capsys, str(path), "--root-key", ROOT_KEY_HEX, "--now-ns", str(NOW), "--session-key", session.der.hex())
    assert status == 0
    assert out == {"valid": True, "principal": chain.principal().to_text()}
    status, out = _run(capsys, str(path), "--root-key", ROOT_KEY_HEX, "--now-ns", str(NOW + 2 * HOUR))
    assert status == 1
    assert out["valid"] is False and out["principal"] is None and "delegation 0 expired" in out["error"]


def test_cli_reports_unreadable_input(tmp_path, capsys):
    status, out = _run(capsys, str(tmp_path / "missing.json"), "--root-key", ROOT_KEY_HEX)
    assert status == 1 and out["error"].startswith("cannot read")
    path = tmp_path / "chain.json"
    path.write_text("{}")
    status, out = _run(capsys, str(path), "--root-key", ROOT_KEY_HEX)
    assert status == 1 and "expected 'delegations'" in out["error"]
    path.write_text(json.dumps(encode_chain_json(_chain([Ed25519Signer(), Ed25519Signer()]))))
    status, out = _run(capsys, str(path), "--root-key", "xyz")
    assert status == 1 and "--root-key: expected an even-length hex string" in out["error"]


# --- round trips -----------------------------------------------------------------------------

principals = st.binary(max_size=29).map(Principal.from_bytes)
links = st.builds(
    SignedDelegation,
    st.builds(
        Delegation,
        st.binary(min_size=1, max_size=100),
        st.integers(0, 2**64 - 1),
        st.none() | st.lists(principals, max_size=4).map(tuple),
    ),
    st.binary(min_size=1, max_size=120),
)
chains = st.builds(DelegationChain, st.lists(links, max_size=4).map(tuple), st.binary(min_size=1, max_size=100))


@settings(max_examples=150, deadline=None)
@given(chains)
def test_json_forms_round_trip(chain):
    assert parse_chain_json(json.dumps(encode_chain_json(chain))) == chain
    assert parse_chain_json(json.dumps(encode_chain_icrc34(chain))) == chain
    assert parse_sender_delegation(encode_sender_delegation(chain.delegations)) == chain.delegations
