"""Shared helpers for the II canister tests (no tests here): an in-process environment with a
controllable clock, deterministic randomness and a recorded certified data."""

from __future__ import annotations

import hashlib
import os

import pytest

from replica.canisters.internet_identity import InternetIdentityCanister, wire
from replica.runtime.contract import CallContext
from replica.storage import open_storage

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
T0 = 1_700_000_000 * SECOND


def principal_cls():
    from ic.principal import Principal

    return Principal


def canister_id():
    return principal_cls().from_text("rdmx6-jaaaa-aaaaa-aaadq-cai")


def new_key(tag: str = "") -> bytes:
    """A fresh DER-like public key blob (the canister treats keys as opaque bytes)."""
    return b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00" + hashlib.sha256(tag.encode() + os.urandom(16)).digest()


def principal_of(pubkey: bytes):
    return principal_cls().self_authenticating(pubkey)


def anonymous():
    return principal_cls().from_text("2vxsx-fae")


def device(pubkey: bytes, alias: str = "my device", *, purpose: str = "authentication",
           key_type: str = "unknown", protection: str = "unprotected",
           credential_id: bytes | None = None, origin: str | None = None,
           metadata: list | None = None) -> dict:
    return {
        "pubkey": pubkey,
        "alias": alias,
        "credential_id": wire.opt(credential_id),
        "aaguid": wire.opt(None),
        "purpose": {purpose: None},
        "key_type": {key_type: None},
        "protection": {protection: None},
        "origin": wire.opt(origin),
        "metadata": wire.opt(metadata),
    }


def authn_method(pubkey: bytes, *, credential_id: bytes | None = None, alias: str | None = "passkey",
                 protection: str = "Unprotected", purpose: str = "Authentication",
                 extra: dict | None = None) -> dict:
    metadata = []
    if alias is not None:
        metadata.append(wire.tuple2("alias", {"String": alias}))
    for k, v in (extra or {}).items():
        metadata.append(wire.tuple2(k, v))
    method = (
        {"WebAuthn": {"credential_id": credential_id, "pubkey": pubkey, "aaguid": wire.opt(None)}}
        if credential_id is not None else {"PubKey": {"pubkey": pubkey}}
    )
    return {
        "authn_method": method,
        "security_settings": {"protection": {protection: None}, "purpose": {purpose: None}},
        "metadata": metadata,
        "last_authentication": wire.opt(None),
    }


_DID = None


def reference_did():
    """The parsed interface (the canister's `did_text`, a byte-exact copy of the reference)."""
    global _DID
    if _DID is None:
        from ic.candid.did_parser import parse_did

        from replica.canisters.internet_identity.canister import load_did_text

        _DID = parse_did(load_did_text())
    return _DID


def through_candid(method: str, values: list, which: str) -> list:
    """Encode `values` at the method's argument or result types and decode them back, as the
    runtime does: every test call thereby checks the canister's values against the interface."""
    from ic.candid.decode import decode
    from ic.candid.encode import encode

    from replica.canisters.internet_identity.canister import InternetIdentityCanister  # noqa: F401

    func = reference_did().service[method]
    types = list(func.args if which == "args" else func.results)
    return decode(encode(types, list(values)), types)


class Env:
    def __init__(self, path, *, dummy_captcha: bool = True, init: dict | None = None) -> None:
        self.path = path
        self.time = T0
        self.certified_data: bytes | None = None
        self.certificate = b"\xd9\xd9\xf7\xa0"  # stands in for the runtime's CBOR certificate
        self._counter = 0
        self.storage = open_storage(path)
        self.canister = InternetIdentityCanister(
            canister_id(), self.storage, dummy_captcha=dummy_captcha, init=init, random=self.random
        )

    def random(self, n: int) -> bytes:
        self._counter += 1
        return hashlib.shake_256(b"test-rng-%d" % self._counter).digest(n)

    def ctx(self, caller, *, query: bool) -> CallContext:
        def set_cd(data: bytes) -> None:
            assert not query, "set_certified_data called from a query"
            assert len(data) == 32
            self.certified_data = data

        return CallContext(
            caller=caller,
            time_ns=self.time,
            canister_id=canister_id(),
            is_query=query,
            set_certified_data=set_cd,
            data_certificate=(lambda: self.certificate) if query else (lambda: None),
            random=self.random,
        )

    def call(self, caller, method: str, args: tuple, *, query: bool):
        decoded_args = through_candid(method, list(args), "args")
        result = self.canister.call(method, self.ctx(caller, query=query), decoded_args)
        result = through_candid(method, result, "results")
        return result[0] if len(result) == 1 else (tuple(result) if result else None)

    def update(self, caller, method: str, *args):
        return self.call(caller, method, args, query=False)

    def query(self, caller, method: str, *args):
        return self.call(caller, method, args, query=True)

    # --- scenarios ---------------------------------------------------------------------------

    def register(self, pubkey: bytes | None = None, **device_kw) -> tuple[int, bytes]:
        """Register an anchor via the legacy API (dummy captcha); returns (anchor, device key)."""
        pubkey = pubkey or new_key()
        me = principal_of(pubkey)
        challenge = self.update(me, "create_challenge")
        result = self.update(
            me, "register", device(pubkey, **device_kw),
            {"key": challenge["challenge_key"], "chars": "a"}, wire.opt(None),
        )
        return result["registered"]["user_number"], pubkey


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path / "ii.db")
    yield e
    e.storage.close()
