"""`Actor`: a canister's methods called by name, typed by its `.did` (Candid spec "Services").

    actor = Actor(agent, "rdmx6-jaaaa-aaaaa-aaadq-cai", did_text)
    stats = await actor.call("stats")                # a `query` method: Agent.query
    anchor = await actor.call("register", device, challenge, None)   # else Agent.update

Arguments are Candid-encoded at the method's argument types and the reply decoded at its result
types (`ic.candid`, whose package docstring gives the Python value mapping). A method with one
result returns that value, with none returns None, with several a tuple.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from ic import candid
from ic.agent.client import Agent, CanisterId, as_principal
from ic.errors import AgentError, CandidError
from ic.principal import Principal

QUERY_ANNOTATIONS = frozenset({"query", "composite_query"})


class Actor:
    def __init__(self, agent: Agent, canister_id: CanisterId, did: Union[str, "candid.DidFile"]):
        self.agent = agent
        self.canister_id: Principal = as_principal(canister_id, "actor canister id")
        self.did = candid.parse_did(did) if isinstance(did, str) else did
        if not self.did.service:
            raise AgentError("actor: the .did file declares no service methods")

    def with_agent(self, agent: Agent) -> "Actor":
        """The same canister and interface through another agent (e.g. another identity)."""
        return Actor(agent, self.canister_id, self.did)

    @property
    def methods(self) -> list[str]:
        return sorted(self.did.service)

    def method_type(self, method: str) -> "candid.Func":
        func = self.did.service.get(method)
        if func is None:
            raise AgentError(
                f"actor {self.canister_id.to_text()}: no method {method!r} in its .did "
                f"(has: {', '.join(self.methods)})"
            )
        func = candid.resolve(func)
        if not isinstance(func, candid.Func):
            raise AgentError(f"actor: {method!r} is not a function type in the .did")
        return func

    def is_query(self, method: str) -> bool:
        return bool(QUERY_ANNOTATIONS & set(self.method_type(method).annotations))

    def encode_args(self, method: str, args: tuple[Any, ...]) -> bytes:
        func = self.method_type(method)
        if len(args) != len(func.args):
            raise AgentError(f"{method}: expects {len(func.args)} argument(s), given {len(args)}")
        try:
            return candid.encode(func.args, list(args))
        except CandidError as exc:
            raise CandidError(f"{method}: arguments do not match the .did: {exc}") from None

    def decode_reply(self, method: str, reply: bytes) -> Any:
        func = self.method_type(method)
        try:
            values = candid.decode(reply, list(func.results))
        except CandidError as exc:
            raise CandidError(f"{method}: the reply does not match the .did: {exc}") from None
        if len(values) == 1:
            return values[0]
        return tuple(values) if values else None

    async def call(self, method: str, *args: Any, mode: Optional[str] = None) -> Any:
        """Call `method` with Python values; `mode` "query"/"update" overrides the annotation."""
        arg = self.encode_args(method, args)
        query = self.is_query(method) if mode is None else mode == "query"
        if mode not in (None, "query", "update"):
            raise AgentError(f"actor: mode must be 'query' or 'update', found {mode!r}")
        if query:
            reply = await self.agent.query(self.canister_id, method, arg)
        else:
            reply = await self.agent.update(self.canister_id, method, arg)
        return self.decode_reply(method, reply)
