"""The canister runtime: Candid in/out, query vs update, rejects and traps, never a crash."""

from __future__ import annotations

import pytest

from replica.certification.request_status import Outcome
from replica.runtime.contract import CallContext, CanisterReject, CanisterTrap
from replica.runtime.dispatch import Runtime

DID = """
service : {
  echo : (text) -> (text);
  peek : () -> (opt blob) query;
  certify : (blob) -> ();
  certify_in_query : (blob) -> () query;
  refuse : () -> ();
  trap : () -> ();
  crash : () -> ();
  wrong_result : () -> (nat);
  context : () -> (principal, nat64, bool);
}
"""


class Probe:
    name = "probe"
    did_text = DID

    def __init__(self, canister_id):
        self.canister_id = canister_id
        self.seen: list[CallContext] = []

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        self.seen.append(ctx)
        if method == "echo":
            return [args[0]]
        if method == "peek":
            cert = ctx.data_certificate()
            return [None if cert is None else [cert]]
        if method in ("certify", "certify_in_query"):
            ctx.set_certified_data(args[0])
            return []
        if method == "refuse":
            raise CanisterReject("no, thank you")
        if method == "trap":
            raise CanisterTrap("it's a trap")
        if method == "crash":
            return [1 / 0]
        if method == "wrong_result":
            return ["not a nat"]
        if method == "context":
            return [ctx.caller, ctx.time_ns, ctx.is_query]
        raise AssertionError(method)


@pytest.fixture
def setup():
    from ic import candid
    from ic.principal import Principal

    certified: dict[bytes, bytes] = {}
    runtime = Runtime(
        set_certified_data=lambda cid, data: certified.__setitem__(cid, data),
        data_certificate=lambda cid, t: b"CERT:" + certified.get(cid, b""),
    )
    probe = Probe(Principal.from_bytes(bytes.fromhex("00000000000000090101")))
    runtime.register(probe)
    return runtime, probe, certified, candid


def run(runtime, probe, method, arg, *, as_query=False, caller=b"\x04", time_ns=7) -> Outcome:
    return runtime.execute(probe.canister_id.raw, method, arg, caller, as_query=as_query, time_ns=time_ns)


def test_echo_round_trip(setup):
    runtime, probe, _, candid = setup
    (sig,) = [m for n, m in runtime.hosted[probe.canister_id.raw].methods.items() if n == "echo"]
    out = run(runtime, probe, "echo", candid.encode(sig.arg_types, ["héllo"]))
    assert out.replied
    assert candid.decode(out.reply, sig.result_types) == ["héllo"]


def test_context(setup):
    runtime, probe, _, candid = setup
    caller = bytes.fromhex("aa" * 29)
    out = run(runtime, probe, "context", b"DIDL\x00\x00", caller=caller, time_ns=123)
    assert out.replied
    ctx = probe.seen[-1]
    assert ctx.caller.raw == caller and ctx.time_ns == 123 and ctx.is_query is False
    assert ctx.canister_id == probe.canister_id


def test_update_sets_certified_data_query_cannot(setup):
    runtime, probe, certified, candid = setup
    sig = runtime.hosted[probe.canister_id.raw].methods["certify"]
    arg = candid.encode(sig.arg_types, [b"\x01" * 32])
    assert run(runtime, probe, "certify", arg).replied
    assert certified[probe.canister_id.raw] == b"\x01" * 32
    out = run(runtime, probe, "certify_in_query", arg, as_query=True)
    assert out.reject_code == 5 and "not allowed in a query" in out.reject_message
    assert certified[probe.canister_id.raw] == b"\x01" * 32


def test_certified_data_over_32_bytes_traps(setup):
    runtime, probe, certified, candid = setup
    sig = runtime.hosted[probe.canister_id.raw].methods["certify"]
    out = run(runtime, probe, "certify", candid.encode(sig.arg_types, [b"\x01" * 33]))
    assert out.reject_code == 5 and probe.canister_id.raw not in certified


def test_data_certificate_only_in_queries(setup):
    runtime, probe, certified, candid = setup
    sig = runtime.hosted[probe.canister_id.raw].methods["peek"]
    q = run(runtime, probe, "peek", b"DIDL\x00\x00", as_query=True)
    assert candid.decode(q.reply, sig.result_types) == [[b"CERT:"]]
    u = run(runtime, probe, "peek", b"DIDL\x00\x00")
    assert candid.decode(u.reply, sig.result_types) == [None]


@pytest.mark.parametrize(
    "method, code, error_code, fragment",
    [
        ("refuse", 4, "IC0406", "no, thank you"),
        ("trap", 5, "IC0503", "Canister called `ic0.trap` with message: it's a trap"),
        ("crash", 5, "IC0502", "ZeroDivisionError"),
        ("wrong_result", 5, "IC0503", "failed to encode the reply"),
        ("nope", 3, "IC0536", "has no update method 'nope'"),
    ],
)
def test_failures_become_rejects(setup, method, code, error_code, fragment):
    runtime, probe, _, _ = setup
    out = run(runtime, probe, method, b"DIDL\x00\x00")
    assert (out.reject_code, out.error_code) == (code, error_code)
    assert fragment in out.reject_message


def test_update_method_is_not_a_query(setup):
    runtime, probe, _, _ = setup
    out = run(runtime, probe, "refuse", b"DIDL\x00\x00", as_query=True)
    assert out.reject_code == 3 and "has no query method 'refuse'" in out.reject_message


@pytest.mark.parametrize("arg", [b"", b"DIDL", b"DIDL\x00\x01\x7e\x02", b"DIDL\x00\x01\x71\xff\xff\xff\xff\x0f", b"\x00" * 100])
def test_bad_arguments_trap(setup, arg):
    runtime, probe, _, _ = setup
    out = run(runtime, probe, "echo", arg)
    assert out.reject_code == 5 and "failed to decode the arguments of 'echo'" in out.reject_message


def test_unknown_canister(setup):
    runtime, _, _, _ = setup
    out = runtime.execute(b"\x00" * 8 + b"\x01\x01", "echo", b"", b"\x04", as_query=False, time_ns=0)
    assert out.reject_code == 3 and out.error_code == "IC0301"


def test_duplicate_canister_id(setup):
    runtime, probe, _, _ = setup
    with pytest.raises(ValueError):
        runtime.register(Probe(probe.canister_id))
