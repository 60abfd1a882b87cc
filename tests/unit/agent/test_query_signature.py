"""Query-response node signatures: the signed bytes, freshness, unknown nodes, forgeries."""

from __future__ import annotations

import pytest

from ic.agent import QuerySignatureError, ed25519
from ic.agent.query_signature import NodeKeys, response_signing_payload, verify_query_response
from ic.principal import Principal
from ic.request_id import hash_of_map

SEED = bytes([7]) * 32
NODE = Principal.self_authenticating(b"node key der").raw
RID = bytes(range(32))
NOW = 1_700_000_000 * 10**9
KEYS = NodeKeys(Principal.self_authenticating(b"subnet"), {NODE: ed25519.public_key(SEED)}, NOW)


def signed(response, *, timestamp=NOW - 10**9, node=NODE, seed=SEED):
    signature = ed25519.sign(seed, response_signing_payload(response, RID, timestamp))
    return {**response, "signatures": [{"timestamp": timestamp, "signature": signature, "identity": node}]}


REPLIED = {"status": "replied", "reply": {"arg": b"DIDL\x00\x00"}}
REJECTED = {"status": "rejected", "reject_code": 4, "reject_message": "no", "error_code": "IC0406"}


def test_signed_bytes_follow_the_spec():
    payload = response_signing_payload(REPLIED, RID, 5)
    expected = hash_of_map({"status": "replied", "reply": {"arg": b"DIDL\x00\x00"}, "timestamp": 5, "request_id": RID})
    assert payload == b"\x0bic-response" + expected


@pytest.mark.parametrize("response", [REPLIED, REJECTED], ids=["replied", "rejected"])
def test_valid_signature(response):
    verify_query_response(signed(response), RID, KEYS, now_ns=NOW, verify=ed25519.verify)


def test_reject_without_error_code_hashes_without_it():
    response = {k: v for k, v in REJECTED.items() if k != "error_code"}
    verify_query_response(signed(response), RID, KEYS, now_ns=NOW, verify=ed25519.verify)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: {**r, "reply": {"arg": b"DIDL\x00\x01\x71\x00"}}, "does not verify"),
        (lambda r: {**r, "signatures": []}, "no node signatures"),
        (lambda r: {**r, "signatures": [{**r["signatures"][0], "timestamp": 0}]}, "timestamp"),
        (lambda r: {**r, "signatures": [{**r["signatures"][0], "identity": b"\x01" * 29}]}, "not a node of subnet"),
    ],
)
def test_forgeries(mutate, message):
    with pytest.raises(QuerySignatureError, match=message):
        verify_query_response(mutate(signed(REPLIED)), RID, KEYS, now_ns=NOW, verify=ed25519.verify)


def test_other_request_id():
    with pytest.raises(QuerySignatureError, match="does not verify"):
        verify_query_response(signed(REPLIED), b"\x00" * 32, KEYS, now_ns=NOW, verify=ed25519.verify)


def test_stale_signature():
    old = signed(REPLIED, timestamp=NOW - 6 * 60 * 10**9)
    with pytest.raises(QuerySignatureError, match="old"):
        verify_query_response(old, RID, KEYS, now_ns=NOW, verify=ed25519.verify)


def test_wrong_node_key():
    forged = signed(REPLIED, seed=bytes([8]) * 32)
    with pytest.raises(QuerySignatureError, match="does not verify"):
        verify_query_response(forged, RID, KEYS, now_ns=NOW, verify=ed25519.verify)
