"""The contract between the replica's runtime and the canisters it hosts.

A canister is a Python object with a name, an id, its Candid interface (`did_text`) and a `call`
method. The runtime decodes the Candid arguments at the method's types before `call` and encodes
the returned values at the method's result types after it; the canister sees plain Python values
(see `ic.candid` for the mapping). Everything the canister may learn about its environment comes
through the `CallContext` (caller, time, certified data, randomness): no globals, no clocks.

A canister refuses a call by raising `CanisterReject` (reject code 4, CANISTER_REJECT) or
`CanisterTrap` (reject code 5, CANISTER_ERROR); any other exception is also turned into a trap
by the runtime, never into a crash of the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:  # imported lazily so this module loads before/without ic.principal at runtime
    from ic.principal import Principal
    from replica.certification.request_status import Outcome

__all__ = ["CallContext", "CanisterReject", "CanisterTrap", "Canister", "CanisterHost", "SystemReject"]


@dataclass
class CallContext:
    caller: Principal  # authenticated sender
    time_ns: int  # replica time for this call
    canister_id: Principal
    is_query: bool
    set_certified_data: Callable[[bytes], None]  # updates only; 32 bytes
    data_certificate: Callable[[], bytes | None]  # queries only: CBOR certificate covering this canister's certified_data
    random: Callable[[int], bytes]  # randomness port


class CanisterReject(Exception):
    """The canister rejected the call (reject code 4 CANISTER_REJECT, error code IC0406)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CanisterTrap(Exception):
    """The canister trapped (reject code 5 CANISTER_ERROR, error code IC0503)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SystemReject(Exception):
    """A refusal by the system itself (the management canister): any reject code and error code,
    e.g. 5 / IC0512 for a caller that is not a controller."""

    def __init__(self, code: int, message: str, error_code: str):
        super().__init__(message)
        self.code, self.message, self.error_code = code, message, error_code


class Canister(Protocol):
    name: str
    canister_id: Principal
    did_text: str

    def call(self, method: str, ctx: CallContext, args: list) -> list: ...

    def http_request(self, request: dict) -> dict: ...  # optional: serves the canister's own origin


class CanisterHost(Protocol):
    """Where canisters that are not Python objects run (the Wasm canisters): the runtime routes a
    call by canister id to a Python `Canister` or to the host that holds that id. Both answer
    with the same `Outcome`s; Candid is the Wasm module's own business."""

    def hosts(self, canister_id: bytes) -> bool: ...
    def canister_ids(self) -> list[bytes]: ...
    def precheck(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, time_ns: int, *,
                 as_query: bool, ingress: bool) -> "Outcome | None": ...
    def execute(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, *, as_query: bool,
                time_ns: int) -> "Outcome": ...
