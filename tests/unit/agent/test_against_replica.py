"""`ic.agent` against the REAL replica (its ASGI app, in-process): issue 4 item 8 in Python.

Anonymous and signed queries with node-signature verification, certified v3 updates, the v2
fallback with polling, the Internet Identity registration and delegation flow ending in a
`DelegationIdentity` that the whoami canister sees as the user's principal, and what happens
when a certificate, a query signature or a delegation is tampered with.
"""

from __future__ import annotations

import dataclasses

import pytest

from ic import candid, cbor
from ic.agent import (Actor, Agent, AnonymousIdentity, AsgiTransport, CertificateError, DelegationIdentity,
                      Ed25519Identity, HttpError, HttpResponse, IngressExpiryError, QuerySignatureError, RejectError,
                      blocking)
from ic.delegation import Delegation, DelegationChain, SignedDelegation
from ic.principal import Principal

from .conftest import II_CANISTER, WHOAMI_CANISTER, run
from .signers import webauthn_identity

WHOAMI_DID = """
service : {
  whoami : () -> (principal) query;
  whoami_update : () -> (principal);
}
"""
DAPP_ORIGIN = "https://dapp.example"


class Tampering:
    """Wraps a transport and rewrites answers on the way back (a man in the middle)."""

    def __init__(self, inner, rewrite):
        self.inner = inner
        self.rewrite = rewrite
        self.paths: list[tuple[str, int]] = []

    async def request(self, method, url_path, body=None, content_type=None):
        response = await self.inner.request(method, url_path, body, content_type)
        self.paths.append((url_path, response.status))
        return self.rewrite(url_path, response)


def test_status_and_fetch_root_key(agent, replica):
    status = run(agent.status())
    assert status["replica_health_status"] == "healthy"
    assert run(agent.fetch_root_key()) == status["root_key"] == replica.root_key


def test_anonymous_and_signed_whoami(agent, replica):
    whoami = Actor(agent, WHOAMI_CANISTER, WHOAMI_DID)
    assert run(whoami.call("whoami")) == agent.identity.sender()
    assert run(whoami.call("whoami_update")) == agent.identity.sender()
    anonymous = whoami.with_agent(agent.with_identity(AnonymousIdentity()))
    assert run(anonymous.call("whoami")) == Principal.anonymous()
    assert run(anonymous.call("whoami_update")) == Principal.anonymous()


def test_read_state_time_is_certified(agent, replica):
    certificate = run(agent.read_state(WHOAMI_CANISTER, [["time"]]))
    from ic.certificate import certificate_time

    assert abs(certificate_time(certificate) - agent.clock_ns()) < 60 * 10**9


def test_node_keys_come_from_the_subnet(agent, replica):
    keys = run(agent.node_keys(WHOAMI_CANISTER))
    assert keys.subnet_id == Principal.self_authenticating(replica.root_key)
    assert len(keys.keys) >= 1 and all(len(k) == 32 for k in keys.keys.values())


def _ecdsa_session():
    from cryptography.hazmat.primitives.asymmetric import ec

    from ic.agent import EcdsaIdentity

    return EcdsaIdentity.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()))


DEVICES = {"ed25519": Ed25519Identity.generate, "passkey": lambda: webauthn_identity()}
SESSIONS = {"ed25519": Ed25519Identity.generate, "ecdsa": _ecdsa_session}


@pytest.mark.parametrize("device_kind, session_kind", [("ed25519", "ed25519"), ("passkey", "ecdsa")])
def test_internet_identity_register_and_delegate(agent, replica, ii_did, device_kind, session_kind):
    device = DEVICES[device_kind]()
    agent = agent.with_identity(device)
    ii = Actor(agent, II_CANISTER, ii_did)
    before = run(ii.call("stats"))["users_registered"]

    challenge = run(ii.call("create_challenge"))
    assert challenge["png_base64"]
    device_data = {
        "pubkey": device.public_key_der(),
        "alias": "test key",
        "credential_id": [b"credential-1"] if device_kind == "passkey" else None,
        "aaguid": None,
        "purpose": {"authentication": None},
        "key_type": {"cross_platform": None} if device_kind == "passkey" else {"unknown": None},
        "protection": {"unprotected": None},
        "origin": None,
        "metadata": None,
    }
    wrong = run(ii.call("register", device_data, {"key": challenge["challenge_key"], "chars": "wrong"}, None))
    assert wrong == {"bad_challenge": None}
    challenge = run(ii.call("create_challenge"))
    registered = run(ii.call("register", device_data, {"key": challenge["challenge_key"], "chars": "a"}, None))
    user_number = registered["registered"]["user_number"]
    assert user_number >= 10000
    assert run(ii.call("stats"))["users_registered"] == before + 1

    session = SESSIONS[session_kind]()
    user_key, expiration = run(
        ii.call("prepare_delegation", user_number, DAPP_ORIGIN, session.public_key_der(), None)
    )
    response = run(ii.call("get_delegation", user_number, DAPP_ORIGIN, session.public_key_der(), expiration))
    signed = response["signed_delegation"]
    targets = signed["delegation"]["targets"]
    delegation = Delegation(
        signed["delegation"]["pubkey"],
        signed["delegation"]["expiration"],
        tuple(targets[0]) if targets is not None else None,
    )
    chain = DelegationChain((SignedDelegation(delegation, signed["signature"]),), user_key)
    dapp_user = DelegationIdentity(session, chain)
    assert dapp_user.sender() == Principal.self_authenticating(user_key)
    assert run(ii.call("get_principal", user_number, DAPP_ORIGIN)) == dapp_user.sender()

    whoami = Actor(agent.with_identity(dapp_user), WHOAMI_CANISTER, WHOAMI_DID)
    assert run(whoami.call("whoami")) == dapp_user.sender()
    assert run(whoami.call("whoami_update")) == dapp_user.sender()

    # Another origin, another principal; the same origin again, the same principal.
    other_key, _ = run(ii.call("prepare_delegation", user_number, "https://other.example", session.public_key_der(), None))
    assert Principal.self_authenticating(other_key) != dapp_user.sender()
    again_key, _ = run(ii.call("prepare_delegation", user_number, DAPP_ORIGIN, session.public_key_der(), None))
    assert again_key == user_key

    # A tampered delegation signature is refused by the replica with its reason.
    forged_signature = bytearray(signed["signature"])
    forged_signature[-5] ^= 0x01
    forged = DelegationChain((SignedDelegation(delegation, bytes(forged_signature)),), user_key)
    forged_whoami = whoami.with_agent(agent.with_identity(DelegationIdentity(session, forged)))
    with pytest.raises(HttpError) as info:
        run(forged_whoami.call("whoami"))
    assert info.value.status == 400 and info.value.text


def test_unknown_method_is_a_reject(agent):
    with pytest.raises(RejectError) as info:
        run(agent.update(WHOAMI_CANISTER, "no_such_method", candid.encode([], [])))
    assert info.value.code in (3, 4, 5) and info.value.message
    with pytest.raises(RejectError) as info:
        run(agent.query(WHOAMI_CANISTER, "no_such_method", candid.encode([], [])))
    assert info.value.code in (3, 4, 5) and info.value.certified is False


def test_v2_fallback_with_polling(replica):
    """A replica without /api/v3 (404): the same envelope goes to the v2 call, then read_state polls."""

    def hide_v3(path, response):
        return HttpResponse(404, {"content-type": "text/plain"}, b"Not found") if path.startswith("/api/v3/") else response

    transport = Tampering(AsgiTransport(replica.api), hide_v3)
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    agent = Agent(transport, Ed25519Identity.generate(), fetch_root_key=True, sleep=sleep)
    reply = run(agent.update(WHOAMI_CANISTER, "whoami_update", candid.encode([], [])))
    assert candid.decode(reply, [candid.PRINCIPAL]) == [agent.identity.sender()]
    paths = [path for path, _ in transport.paths]
    assert any(p.startswith("/api/v3/") and p.endswith("/call") for p in paths)
    assert (f"/api/v2/canister/{WHOAMI_CANISTER}/call", 202) in transport.paths
    assert f"/api/v2/canister/{WHOAMI_CANISTER}/read_state" in paths


def _flip_certificate_byte(path, response):
    if response.status != 200 or not path.endswith(("/call", "/read_state")):
        return response
    answer = cbor.decode(response.body)
    if "certificate" not in answer:
        return response
    certificate = bytearray(answer["certificate"])
    certificate[len(certificate) // 2] ^= 0x01
    answer["certificate"] = bytes(certificate)
    return dataclasses.replace(response, body=cbor.encode(answer))


def test_tampered_certificate_is_refused(replica):
    agent = Agent(Tampering(AsgiTransport(replica.api), _flip_certificate_byte), Ed25519Identity.generate(), fetch_root_key=True)
    with pytest.raises((CertificateError,)):
        run(agent.update(WHOAMI_CANISTER, "whoami_update", candid.encode([], [])))
    with pytest.raises(CertificateError):
        run(agent.read_state(WHOAMI_CANISTER, [["time"]]))


def test_tampered_query_reply_fails_the_node_signature(replica):
    def forge_reply(path, response):
        if response.status == 200 and path.endswith("/query"):
            answer = cbor.decode(response.body)
            answer["reply"]["arg"] = candid.encode([candid.PRINCIPAL], [Principal.anonymous()])
            return dataclasses.replace(response, body=cbor.encode(answer))
        return response

    agent = Agent(Tampering(AsgiTransport(replica.api), forge_reply), Ed25519Identity.generate(), fetch_root_key=True)
    with pytest.raises(QuerySignatureError, match="does not verify"):
        run(agent.query(WHOAMI_CANISTER, "whoami", candid.encode([], [])))


def test_unsigned_query_reply_is_refused(replica):
    def strip(path, response):
        if response.status == 200 and path.endswith("/query"):
            answer = cbor.decode(response.body)
            answer.pop("signatures", None)
            return dataclasses.replace(response, body=cbor.encode(answer))
        return response

    agent = Agent(Tampering(AsgiTransport(replica.api), strip), fetch_root_key=True)
    with pytest.raises(QuerySignatureError, match="no node signatures"):
        run(agent.query(WHOAMI_CANISTER, "whoami", candid.encode([], [])))
    unverified = Agent(Tampering(AsgiTransport(replica.api), strip), fetch_root_key=True, verify_query_signatures=False)
    assert candid.decode(run(unverified.query(WHOAMI_CANISTER, "whoami", candid.encode([], []))))


def test_wrong_root_key_fails_certificates(replica):
    from ic.agent import IC_ROOT_KEY_DER

    agent = Agent(AsgiTransport(replica.api), Ed25519Identity.generate(), root_key_der=IC_ROOT_KEY_DER)
    with pytest.raises(CertificateError, match="signature"):
        run(agent.update(WHOAMI_CANISTER, "whoami_update", candid.encode([], [])))


@pytest.mark.parametrize("skew_s", [-600, 600], ids=["behind", "ahead"])
def test_clock_skew_gives_the_replicas_expiry_reason(replica, skew_s):
    import time

    agent = Agent(
        AsgiTransport(replica.api),
        Ed25519Identity.generate(),
        fetch_root_key=True,
        clock_ns=lambda: time.time_ns() + skew_s * 10**9,
        auto_sync_time=False,
    )
    with pytest.raises(IngressExpiryError) as info:
        run(agent.update(WHOAMI_CANISTER, "whoami_update", candid.encode([], [])))
    assert info.value.status == 400 and info.value.text.startswith("Invalid request expiry: ")


@pytest.mark.parametrize("skew_s", [-600, 600], ids=["behind", "ahead"])
def test_clock_skew_is_corrected_by_syncing_time(replica, skew_s):
    """Like agent-js: on an expiry 400 the agent reads the certified /time once and retries."""
    import time

    identity = Ed25519Identity.generate()
    agent = Agent(
        AsgiTransport(replica.api), identity, fetch_root_key=True, clock_ns=lambda: time.time_ns() + skew_s * 10**9
    )
    whoami = Actor(agent, WHOAMI_CANISTER, WHOAMI_DID)
    assert run(whoami.call("whoami_update")) == identity.sender()
    assert abs(agent.now_ns() - time.time_ns()) < 30 * 10**9
    assert run(whoami.call("whoami")) == identity.sender()


def test_blocking_wrapper(replica):
    agent = blocking(Agent(AsgiTransport(replica.api), Ed25519Identity.generate(), fetch_root_key=True))
    assert agent.status()["root_key"] == replica.root_key
    whoami = blocking(Actor(agent.wrapped, WHOAMI_CANISTER, WHOAMI_DID))
    assert whoami.call("whoami") == agent.identity.sender()


def test_stale_looking_certificate_triggers_one_time_sync(replica):
    """Anonymous read_state skips the expiry check, so only the certificate's /time shows the skew."""
    import time

    def skewed():
        return time.time_ns() + 10 * 60 * 10**9

    strict = Agent(AsgiTransport(replica.api), fetch_root_key=True, clock_ns=skewed, auto_sync_time=False)
    with pytest.raises(CertificateError) as info:
        run(strict.read_state(WHOAMI_CANISTER, [["time"]]))
    assert info.value.step == "time"
    agent = Agent(AsgiTransport(replica.api), fetch_root_key=True, clock_ns=skewed)
    run(agent.read_state(WHOAMI_CANISTER, [["time"]]))
    assert abs(agent.now_ns() - time.time_ns()) < 30 * 10**9
