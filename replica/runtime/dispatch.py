"""Run canister methods: registry by id, Candid in and out, query vs update (ic-interface-facts §2
reject codes, §8 emulator duties).

`Runtime.execute` never raises for anything a request can cause: unknown canisters and methods,
undecodable arguments, rejects, traps and unexpected exceptions inside a canister all become an
`Outcome` with the reject code, message and error code the real replica would give. Queries cannot
change certified data; an update's certified data takes effect only if the call returns.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable

from replica.certification.request_status import Outcome
from replica.runtime.contract import CallContext, Canister, CanisterHost, CanisterReject, CanisterTrap, SystemReject

log = logging.getLogger(__name__)

# Reject codes (§2) and the error codes that go with them.
DESTINATION_INVALID = 3
CANISTER_REJECT = 4
CANISTER_ERROR = 5
E_CANISTER_NOT_FOUND = "IC0301"
E_METHOD_NOT_FOUND = "IC0536"
E_CANISTER_REJECTED = "IC0406"
E_CALLED_TRAP = "IC0503"
E_TRAPPED = "IC0502"


@dataclass(frozen=True)
class MethodSignature:
    name: str
    arg_types: Any
    result_types: Any
    is_query: bool


@dataclass
class HostedCanister:
    canister: Canister
    canister_id: bytes
    methods: dict[str, MethodSignature]


def _principal(raw: bytes):
    from ic.principal import Principal

    return Principal.from_bytes(raw)


def _text(raw: bytes) -> str:
    return _principal(raw).to_text()


def parse_methods(did_text: str) -> dict[str, MethodSignature]:
    """Method name -> Candid signature, from a canister's `.did` text."""
    from ic import candid

    did = candid.parse_did(did_text)
    if not did.service:
        raise ValueError("the .did text defines no service methods")
    methods = {}
    for name, func in did.service.items():
        func = candid.resolve(func)
        if not isinstance(func, candid.Func):
            raise ValueError(f"service method {name!r} is not a function type")
        is_query = "query" in func.annotations or "composite_query" in func.annotations
        methods[name] = MethodSignature(name, tuple(func.args), tuple(func.results), is_query)
    return methods


class Runtime:
    """The canisters of one replica and how their methods run."""

    def __init__(
        self,
        *,
        set_certified_data: Callable[[bytes, bytes], None],
        data_certificate: Callable[[bytes, int], bytes],
        random: Callable[[int], bytes] = os.urandom,
    ):
        self._set_certified_data = set_certified_data
        self._data_certificate = data_certificate
        self._random = random
        self.hosted: dict[bytes, HostedCanister] = {}
        self.host: CanisterHost | None = None  # the Wasm canisters (replica.canisters.management)

    def attach_host(self, host: CanisterHost) -> None:
        """Route every canister id that `host` holds to it (ids never clash with Python canisters)."""
        self.host = host

    def canister_ids(self) -> list[bytes]:
        """Every hosted canister id (Python and Wasm); the management canister's empty id is not one."""
        ids = [cid for cid in self.hosted if cid]
        if self.host is not None:
            ids.extend(self.host.canister_ids())
        return ids

    def is_taken(self, canister_id: bytes) -> bool:
        return canister_id in self.hosted or (self.host is not None and self.host.hosts(canister_id))

    def _wasm(self, canister_id: bytes) -> bool:
        return canister_id not in self.hosted and self.host is not None and self.host.hosts(canister_id)

    def check_effective_id(self, canister_id: bytes, method: str, arg: bytes, ecid: bytes) -> str | None:
        """Why `ecid` is not a valid effective canister id for this call (the management
        canister's rules: interface spec "Effective canister id"), or None."""
        hosted = self.hosted.get(canister_id)
        check = getattr(hosted.canister, "check_effective_id", None) if hosted is not None else None
        return check(method, arg, ecid) if check is not None else None

    def register(self, canister: Canister) -> None:
        raw = canister.canister_id.raw
        if raw in self.hosted:
            raise ValueError(f"canister id {canister.canister_id.to_text()} is already taken")
        self.hosted[raw] = HostedCanister(canister, raw, parse_methods(canister.did_text))

    def canister(self, canister_id: bytes) -> Canister | None:
        hosted = self.hosted.get(canister_id)
        return hosted.canister if hosted else None

    def precheck(self, canister_id: bytes, method: str, *, as_query: bool, arg: bytes = b"", caller: bytes = b"",
                 time_ns: int = 0, ingress: bool = False) -> Outcome | None:
        """The reject a call gets before execution (unknown canister or method; for `ingress`
        updates also the canister's own filter: inspect_message, aaaaa-aa's rules), else None."""
        if self._wasm(canister_id):
            return self.host.precheck(canister_id, method, arg, caller, time_ns, as_query=as_query, ingress=ingress)
        hosted = self.hosted.get(canister_id)
        if hosted is None:
            return Outcome.rejected(DESTINATION_INVALID, f"Canister {_text(canister_id)} not found", E_CANISTER_NOT_FOUND)
        signature = hosted.methods.get(method)
        if signature is None or (as_query and not signature.is_query):
            kind = "query" if as_query else "update"
            return Outcome.rejected(
                DESTINATION_INVALID,
                f"Canister {_text(canister_id)} has no {kind} method '{method}'",
                E_METHOD_NOT_FOUND,
            )
        accept = getattr(hosted.canister, "accept_ingress", None)
        if ingress and not as_query and accept is not None:
            return accept(method, arg, caller)
        return None

    def execute(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, *, as_query: bool, time_ns: int) -> Outcome:
        """Run one method. `as_query`: a non-replicated query (data certificate, no state change)."""
        from ic import candid

        if self._wasm(canister_id):
            return self.host.execute(canister_id, method, arg, caller, as_query=as_query, time_ns=time_ns)
        refused = self.precheck(canister_id, method, as_query=as_query)
        if refused is not None:
            return refused
        hosted = self.hosted[canister_id]
        signature = hosted.methods[method]
        cid_text = _text(canister_id)
        try:
            args = candid.decode(arg, signature.arg_types)
        except (ValueError, RecursionError) as exc:
            return _trap(cid_text, f"failed to decode the arguments of '{method}': {exc}")
        staged: list[bytes] = []

        def set_certified_data(data: bytes) -> None:
            if signature.is_query:
                raise CanisterTrap("certified_data_set is not allowed in a query method")
            if not isinstance(data, (bytes, bytearray)) or len(data) > 32:
                raise CanisterTrap("certified_data_set takes at most 32 bytes")
            staged.append(bytes(data))

        def data_certificate() -> bytes | None:
            if not as_query:
                return None
            return self._data_certificate(canister_id, time_ns)

        ctx = CallContext(
            caller=_principal(caller),
            time_ns=time_ns,
            canister_id=hosted.canister.canister_id,
            is_query=signature.is_query,
            set_certified_data=set_certified_data,
            data_certificate=data_certificate,
            random=self._random,
        )
        try:
            results = hosted.canister.call(method, ctx, list(args))
        except CanisterReject as exc:
            return Outcome.rejected(CANISTER_REJECT, exc.message, E_CANISTER_REJECTED)
        except SystemReject as exc:
            return Outcome.rejected(exc.code, exc.message, exc.error_code)
        except CanisterTrap as exc:
            return _trap(cid_text, exc.message)
        except Exception as exc:  # a bug in a canister must not take the replica down
            log.exception("canister %s trapped in %s", cid_text, method)
            return Outcome.rejected(
                CANISTER_ERROR,
                f"Error from Canister {cid_text}: Canister trapped: {type(exc).__name__}: {exc}",
                E_TRAPPED,
            )
        try:
            reply = candid.encode(signature.result_types, list(results))
        except (ValueError, TypeError, RecursionError) as exc:
            log.error("canister %s returned a value that does not fit %s's result type: %s", cid_text, method, exc)
            return _trap(cid_text, f"failed to encode the reply of '{method}': {exc}")
        if staged and not as_query:
            self._set_certified_data(canister_id, staged[-1])
        return Outcome(reply=reply)


def _trap(cid_text: str, message: str) -> Outcome:
    return Outcome.rejected(
        CANISTER_ERROR, f"Error from Canister {cid_text}: Canister called `ic0.trap` with message: {message}", E_CALLED_TRAP
    )
