"""The engine's errors and how each becomes the IC's reject (interface spec "Reject codes"; the
error codes are the IC's `ErrorCode`s, as `replica.runtime.dispatch` uses them).

Two families:
- `InvalidModule`: a module refused at install or upgrade (IC0505, CanisterInvalidWasm); nothing runs.
- `CanisterTrap` and its kinds: a message that trapped. The engine rolls the canister back and
  answers the call with CANISTER_ERROR (5) and the kind's error code.
"""

from __future__ import annotations

from replica.certification.request_status import Outcome

DESTINATION_INVALID = 3
CANISTER_REJECT = 4
CANISTER_ERROR = 5

E_CANISTER_REJECTED = "IC0406"
E_TRAPPED = "IC0502"
E_CALLED_TRAP = "IC0503"
E_CONTRACT_VIOLATION = "IC0504"
E_INVALID_WASM = "IC0505"
E_DID_NOT_REPLY = "IC0506"
E_WASM_ENGINE = "IC0521"
E_INSTRUCTION_LIMIT = "IC0522"
E_METHOD_NOT_FOUND = "IC0536"
E_MODULE_NOT_FOUND = "IC0537"
E_ALREADY_INSTALLED = "IC0538"


class WasmError(Exception):
    """Base of the engine's errors."""


class InvalidModule(WasmError):
    """The bytes are not a canister module this engine can install: the message says why."""


class CanisterTrap(WasmError):
    """A message trapped. `describe()` is the text after "Error from Canister <id>: "."""

    error_code = E_TRAPPED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def describe(self) -> str:
        return f"Canister trapped: {self.message}"


class CalledTrap(CanisterTrap):
    """The canister called `ic0.trap`."""

    error_code = E_CALLED_TRAP

    def describe(self) -> str:
        return f"Canister called `ic0.trap` with message: '{self.message}'"


class ContractViolation(CanisterTrap):
    """A System API call the spec forbids here (wrong context, replying twice, bad bounds)."""

    error_code = E_CONTRACT_VIOLATION

    def describe(self) -> str:
        return f"Canister violated contract: {self.message}"


class InstructionLimit(CanisterTrap):
    """The message used up its instructions (wasmtime fuel)."""

    error_code = E_INSTRUCTION_LIMIT

    def __init__(self, limit: int):
        super().__init__(f"Canister exceeded the limit of {limit} instructions for single message execution.")

    def describe(self) -> str:
        return self.message


# wasmtime trap codes -> the words the IC uses for the same Wasm trap.
WASM_TRAP_WORDS = {
    "STACK_OVERFLOW": "stack overflow",
    "MEMORY_OUT_OF_BOUNDS": "heap out of bounds",
    "HEAP_MISALIGNED": "heap misaligned",
    "TABLE_OUT_OF_BOUNDS": "table out of bounds",
    "INDIRECT_CALL_TO_NULL": "uninitialized element",
    "BAD_SIGNATURE": "function invocation does not match its signature",
    "INTEGER_OVERFLOW": "integer overflow",
    "INTEGER_DIVISION_BY_ZERO": "integer division by 0",
    "BAD_CONVERSION_TO_INTEGER": "invalid conversion to integer",
    "UNREACHABLE": "unreachable",
}


def wasm_trap(exc: Exception, fuel_limit: int) -> CanisterTrap:
    """The `CanisterTrap` for an exception wasmtime raised while running canister code."""
    code = getattr(exc, "trap_code", None)
    name = getattr(code, "name", None)
    if name == "OUT_OF_FUEL":
        return InstructionLimit(fuel_limit)
    if name in WASM_TRAP_WORDS:
        return CanisterTrap(WASM_TRAP_WORDS[name])
    first = str(exc).strip().splitlines()
    return CanisterTrap(first[-1].strip() if first else type(exc).__name__)


def trap_outcome(canister_text: str, trap: CanisterTrap) -> Outcome:
    return Outcome.rejected(CANISTER_ERROR, f"Error from Canister {canister_text}: {trap.describe()}", trap.error_code)


def invalid_module_outcome(canister_text: str, exc: InvalidModule) -> Outcome:
    return Outcome.rejected(
        CANISTER_ERROR, f"Error from Canister {canister_text}: Wasm module of canister {canister_text} is not valid: {exc}",
        E_INVALID_WASM,
    )
