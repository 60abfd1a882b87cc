"""Root and node keys, persistence, subnet id, certificates verifying against the root key."""

from __future__ import annotations

import pytest

from replica.certification.keys import load_or_create_keys
from replica.certification.state import CertifiedState
from replica.http.testing import lookup, shared_test_keys


def test_keys_are_created_once_and_persisted(tmp_path):
    first = load_or_create_keys(tmp_path)
    again = load_or_create_keys(tmp_path)
    assert first.root.der == again.root.der and first.node.der == again.node.der
    assert len(first.root.der) == 133 and len(first.node.der) == 44
    assert (tmp_path / "replica-keys.json").stat().st_mode & 0o077 == 0


def test_corrupt_key_file_is_refused_not_replaced(tmp_path):
    (tmp_path / "replica-keys.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="unreadable"):
        load_or_create_keys(tmp_path)
    assert (tmp_path / "replica-keys.json").read_text() == "{not json"


def test_subnet_id_is_self_authenticating_of_the_root_key():
    import hashlib

    keys = shared_test_keys()
    assert keys.root.subnet_id == hashlib.sha224(keys.root.der).digest() + b"\x02"
    assert keys.node.node_id == hashlib.sha224(keys.node.der).digest() + b"\x02"


def _verify(cert: bytes, keys, now: int):
    from ic import bls
    from ic.certificate import verify_certificate

    return verify_certificate(cert, root_key_der=keys.root.der, bls_verify=bls.arkworks_verify, now_ns=now).tree


def test_certificate_reveals_the_subnet_and_time():
    keys = shared_test_keys()
    state = CertifiedState(keys)
    now = 1_700_000_000_000_000_000
    tree = _verify(state.certificate([(b"subnet",)], now), keys, now)
    sid, nid = keys.root.subnet_id, keys.node.node_id
    assert lookup(tree, [b"subnet", sid, b"public_key"]) == keys.root.der
    assert lookup(tree, [b"subnet", sid, b"node", nid, b"public_key"]) == keys.node.der
    assert lookup(tree, [b"time"]) is not None


def test_data_certificate_covers_certified_data():
    keys = shared_test_keys()
    cid = bytes.fromhex("00000000000000070101")
    state = CertifiedState(keys, canister_ids=lambda: [cid])
    state.set_certified_data(cid, b"\x42" * 32)
    now = 1_700_000_000_000_000_000
    tree = _verify(state.data_certificate(cid, now), keys, now)
    assert lookup(tree, [b"canister", cid, b"certified_data"]) == b"\x42" * 32


def test_tampered_certificate_fails():
    from ic import cbor

    keys = shared_test_keys()
    state = CertifiedState(keys)
    now = 1_700_000_000_000_000_000
    cert = cbor.decode(state.certificate([(b"time",)], now), max_size=100_000)
    cert["signature"] = bytes([cert["signature"][0] ^ 1]) + cert["signature"][1:]
    with pytest.raises(ValueError):
        _verify(cbor.encode(cert), keys, now)


def test_certified_data_limit():
    state = CertifiedState(shared_test_keys())
    with pytest.raises(ValueError):
        state.set_certified_data(b"\x01", b"x" * 33)
