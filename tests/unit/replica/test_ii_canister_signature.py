"""End to end through the replica: the delegation II issues verifies as a canister signature.

The canister runs inside the real runtime and certified state (BLS-signed certificates from the
replica's root key); the signature returned by `get_delegation` is checked with the same verifier
the replica applies to requests signed through a delegation chain.
"""

from __future__ import annotations

import hashlib

import pytest

from replica.canisters.internet_identity import wire
from tests.unit.replica.test_ii_support import T0, device, new_key, principal_of


@pytest.fixture
def replica(tmp_path):
    from replica.config import Config
    from replica.replica import Replica

    config = Config(db_path=tmp_path / "replica.sqlite3", dummy_captcha=True)
    r = Replica(config, clock=lambda: T0)
    yield r
    r.close()


def call(replica, caller, method, *args, query=False):
    from ic.candid.decode import decode
    from ic.candid.encode import encode

    from tests.unit.replica.test_ii_support import reference_did

    func = reference_did().service[method]
    cid = replica.canisters["internet_identity"].canister_id.raw
    outcome = replica.runtime.execute(cid, method, encode(list(func.args), list(args)), caller.raw,
                                      as_query=query, time_ns=T0)
    assert outcome.reply is not None, outcome
    result = decode(outcome.reply, list(func.results))
    return result[0] if len(result) == 1 else tuple(result)


def test_get_delegation_signature_verifies_against_the_root_key(replica):
    from ic.delegation import Delegation, delegation_payload
    from replica.auth.signatures import make_verifier

    key = new_key()
    me = principal_of(key)
    challenge = call(replica, me, "create_challenge")
    number = call(replica, me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"},
                  wire.opt(None))["registered"]["user_number"]
    session = new_key("session")
    user_key, expiration = call(replica, me, "prepare_delegation", number, "https://dapp.example", session,
                                wire.opt(None))
    signed = call(replica, me, "get_delegation", number, "https://dapp.example", session, expiration,
                  query=True)["signed_delegation"]
    payload = delegation_payload(Delegation(pubkey=session, expiration=expiration, targets=None))
    verify = make_verifier(replica.root_key)
    verify(user_key, payload, signed["signature"])  # raises if invalid
    with pytest.raises(ValueError):
        verify(user_key, payload + b"x", signed["signature"])
    other_key, _ = call(replica, me, "prepare_delegation", number, "https://other.example", session, wire.opt(None))
    with pytest.raises(ValueError):
        verify(other_key, payload, signed["signature"])
    assert hashlib.sha256(user_key).digest() != hashlib.sha256(other_key).digest()

