"""`Actor`: query vs update from the .did annotations, Candid in and out, result arity."""

from __future__ import annotations

import pytest

from ic import candid
from ic.agent import Actor, AgentError
from ic.errors import CandidError

from .conftest import WHOAMI_CANISTER, run

DID = """
type Pair = record { nat; text };
service : {
  one : (nat) -> (text) query;
  two : () -> (nat, text) composite_query;
  none : (text) -> ();
  pair : () -> (Pair) query;
}
"""


class Recording:
    def __init__(self, reply: bytes):
        self.reply = reply
        self.calls = []

    async def query(self, canister_id, method, arg):
        self.calls.append(("query", canister_id, method, arg))
        return self.reply

    async def update(self, canister_id, method, arg):
        self.calls.append(("update", canister_id, method, arg))
        return self.reply


def actor(reply: bytes) -> tuple[Actor, Recording]:
    agent = Recording(reply)
    return Actor(agent, WHOAMI_CANISTER, DID), agent


def test_query_method_single_result():
    a, agent = actor(candid.encode([candid.TEXT], ["hi"]))
    assert run(a.call("one", 5)) == "hi"
    kind, canister, method, arg = agent.calls[0]
    assert (kind, canister.to_text(), method) == ("query", WHOAMI_CANISTER, "one")
    assert candid.decode(arg, [candid.NAT]) == [5]


def test_composite_query_with_two_results_is_a_tuple():
    a, agent = actor(candid.encode([candid.NAT, candid.TEXT], [1, "x"]))
    assert run(a.call("two")) == (1, "x")
    assert agent.calls[0][0] == "query"


def test_update_with_no_result():
    a, agent = actor(candid.encode([], []))
    assert run(a.call("none", "x")) is None
    assert agent.calls[0][0] == "update"


def test_mode_override():
    a, agent = actor(candid.encode([candid.TEXT], ["hi"]))
    run(a.call("one", 1, mode="update"))
    assert agent.calls[0][0] == "update"


def test_record_tuple_result():
    a, _ = actor(candid.encode([candid.Record((candid.make_field(0, candid.NAT), candid.make_field(1, candid.TEXT)))], [(1, "a")]))
    assert run(a.call("pair")) == (1, "a")


def test_errors_name_the_method():
    a, _ = actor(candid.encode([candid.NAT], [1]))
    with pytest.raises(AgentError, match="no method 'nope'.*has: none, one, pair, two"):
        run(a.call("nope"))
    with pytest.raises(AgentError, match="expects 1 argument"):
        run(a.call("one"))
    with pytest.raises(CandidError, match="one: arguments"):
        run(a.call("one", "not a nat"))
    with pytest.raises(CandidError, match="one: the reply"):
        run(a.call("one", 1))  # reply is a nat, the .did says text
