"""Shared by the management canister tests: a small IC client over the in-process HTTP interface
(calls verified through their certificates, queries through the replica), Candid at the types of
aaaaa-aa's ic.did, and the Motoko compiler fixture of the engine tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from replica.http.testing import (
    AsgiClient,
    Ed25519Identity,
    call_content,
    encode,
    envelope,
    lookup,
    make_replica,
    read_state_content,
    verified_tree,
)
from tests.unit.wasm.conftest import candid, motoko, uncandid  # noqa: F401  (motoko: a fixture)

MGMT = "aaaaa-aa"
EMPTY = b"DIDL\x00\x00"


def text(raw: bytes) -> str:
    from ic.principal import Principal

    return Principal.from_bytes(raw).to_text()


@dataclass
class Answer:
    status: str  # replied | rejected | non_replicated_rejection | http
    reply: bytes | None = None
    reject_code: int = 0
    reject_message: str = ""
    error_code: str = ""
    http_status: int = 200

    @property
    def replied(self) -> bool:
        return self.status == "replied"


class Ic:
    """Calls to aaaaa-aa and to hosted canisters through the replica's HTTP interface."""

    def __init__(self, replica):
        from replica.canisters.management.canister import DID_TEXT
        from replica.runtime.dispatch import parse_methods

        self.replica = replica
        self.client = AsgiClient(replica.api)
        self.methods = parse_methods(DID_TEXT)

    def call(self, identity, canister: bytes, method: str, arg: bytes, *, ecid: bytes | None = None,
             version: str = "v3") -> Answer:
        from ic.request_id import request_id

        sender = identity.principal if identity else b"\x04"
        content = call_content(canister, method, arg, sender, nonce=__import__("os").urandom(8))
        res = self.client.post(f"/api/{version}/canister/{text(canister if ecid is None else ecid)}/call",
                               encode(envelope(content, identity)))
        if res.status not in (200, 202):
            return Answer("http", reject_message=res.text, http_status=res.status)
        rid = request_id(content)
        if res.status == 202:
            paths = [[b"request_status", rid]]
            rs = self.client.post(f"/api/v2/canister/{text(canister if ecid is None else ecid)}/read_state",
                                  encode(envelope(read_state_content(paths, sender), identity)))
            certificate = rs.cbor()["certificate"]
        else:
            body = res.cbor()
            if body.get("status") == "non_replicated_rejection" or "reject_code" in body:
                return Answer("non_replicated_rejection", None, body["reject_code"], body["reject_message"],
                              body.get("error_code", ""))
            certificate = body["certificate"]
        tree = verified_tree(certificate, self.replica)
        status = lookup(tree, [b"request_status", rid, b"status"])
        if status == b"replied":
            return Answer("replied", lookup(tree, [b"request_status", rid, b"reply"]))
        code = lookup(tree, [b"request_status", rid, b"reject_code"])
        return Answer("rejected", None, code[0], lookup(tree, [b"request_status", rid, b"reject_message"]).decode(),
                      lookup(tree, [b"request_status", rid, b"error_code"]).decode())

    def query(self, identity, canister: bytes, method: str, arg: bytes, *, ecid: bytes | None = None) -> Answer:
        sender = identity.principal if identity else b"\x04"
        content = call_content(canister, method, arg, sender, request_type="query")
        res = self.client.post(f"/api/v2/canister/{text(canister if ecid is None else ecid)}/query",
                               encode(envelope(content, identity)))
        if res.status != 200:
            return Answer("http", reject_message=res.text, http_status=res.status)
        body = res.cbor()
        if body["status"] == "replied":
            return Answer("replied", body["reply"]["arg"])
        return Answer("rejected", None, body["reject_code"], body["reject_message"], body.get("error_code", ""))

    # -- aaaaa-aa at its ic.did types --------------------------------------------------------------

    def encode_args(self, method: str, value) -> bytes:
        from ic import candid as c

        types = self.methods[method].arg_types
        return c.encode(types, [] if not types else [value])

    def decode_reply(self, method: str, reply: bytes):
        from ic import candid as c

        values = c.decode(reply, self.methods[method].result_types)
        return values[0] if values else None

    def mgmt(self, identity, method: str, value=None, *, ecid: bytes | None = None, version: str = "v3") -> Answer:
        if ecid is None and isinstance(value, dict):
            target = value.get("target_canister", value.get("canister_id"))
            ecid = bytes(getattr(target, "raw", target)) if target is not None else b""
        return self.call(identity, b"", method, self.encode_args(method, value), ecid=ecid or b"", version=version)

    def ok(self, identity, method: str, value=None, **kw):
        answer = self.mgmt(identity, method, value, **kw)
        assert answer.replied, answer
        return self.decode_reply(method, answer.reply)

    def create(self, identity, **args) -> bytes:
        args.setdefault("settings", None)
        args.setdefault("amount", None)
        args.setdefault("specified_id", None)
        result = self.ok(identity, "provisional_create_canister_with_cycles", args)
        return result["canister_id"].raw

    def install(self, identity, canister: bytes, wasm: bytes, mode="install", arg: bytes = EMPTY) -> Answer:
        return self.mgmt(identity, "install_code", {"mode": mode, "canister_id": canister, "wasm_module": wasm,
                                                     "arg": arg, "sender_canister_version": None})

    def read_state(self, identity, ecid: bytes, paths: list[list[bytes]]):
        sender = identity.principal if identity else b"\x04"
        res = self.client.post(f"/api/v2/canister/{text(ecid)}/read_state",
                               encode(envelope(read_state_content(paths, sender), identity)))
        if res.status != 200:
            return res
        return verified_tree(res.cbor()["certificate"], self.replica)


def nat(answer: Answer) -> int:
    assert answer.replied, answer
    return uncandid("(nat)", answer.reply)[0]


@pytest.fixture
def ic(replica):
    return Ic(replica)


@pytest.fixture
def owner():
    return Ed25519Identity(b"\x01" * 32)


@pytest.fixture
def stranger():
    return Ed25519Identity(b"\x02" * 32)


__all__ = ["Answer", "EMPTY", "Ic", "MGMT", "candid", "ic", "make_replica", "motoko", "nat", "owner", "stranger",
           "text", "uncandid"]
