"""What the authorize session reads and writes as values: the input event, the reading limits,
`BigIntValue`, and the coercions the request checks use.

The browser adapter (`app/browser/messaging.py`) is the only code that touches `MessageEvent`s and
windows. It turns each event into an `IncomingMessage`; everything here is plain data so the
session runs, and is tested, under CPython.

`JsBigInt` (an `int` subclass), safe-integer numbers -> `int`, other numbers -> `float`, strings ->
`str`, `undefined` -> `None`, `null` -> `jsnull`. `None` and `jsnull` both mean "absent".

The adapter converts within the limits below, whatever the dapp posts (issue 11 item 7): of any
object only the keys either protocol reads (`app.protocol.MESSAGE_FIELDS`), and in place of a
value that is too large, too deep or of a type no protocol uses (`Map`, `Set`, `Date`, `String`
objects...) an `Unreadable`, which every check rejects by its description. So reading a message
costs a bounded number of steps, checked before any of it becomes Python objects.

Outgoing messages (`PostMessage.message`) are plain data: `dict` (-> JS object with
`to_js(..., dict_converter=Object.fromEntries)`), `list`, `str`, `bool`, `int` (only small ones),
`bytes` (-> `Uint8Array`) and `BigIntValue` (-> `BigInt`; give `to_js` a `default_converter` that
maps it to `BigInt(str(value.value))`, see `BigIntValue`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from app.protocol.errors import InvalidRequest

# --- input -------------------------------------------------------------------------------------

MAX_STRING_CHARS = 65_536  # origins, keys (base64), principals and ids are far shorter
MAX_BINARY_BYTES = 65_536  # a session key is at most 1 KiB
MAX_VALUES = 4_096  # values read from one message: above ICRC-34's 1,000 targets
CONTAINER_COST = 64  # an array or object costs this many values (each is a few FFI calls)
MAX_DEPTH = 8  # message > params > targets > text is 3 deep


@dataclass(frozen=True)
class Unreadable:
    """A value the adapter did not convert; `what` describes it ("an array of 262144 items")."""

    what: str

    def __str__(self) -> str:
        return self.what


@dataclass(frozen=True)
class IncomingMessage:
    """One `message` event on II's window.

    `data` is `event.data` read within limits (see the module docstring), `origin` is
    `event.origin` and `from_opener` is `event.source === window.opener` (False when there is no
    opener).
    """

    data: Any
    origin: str
    from_opener: bool


# --- outgoing values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BigIntValue:
    """An integer that must reach JavaScript as a `BigInt` (e.g. a delegation `expiration`).

    Pyodide's `to_js` turns Python ints into Numbers when they are safe integers, so a small value
    would arrive with the wrong type; this wrapper marks the ones that must be `bigint`. The adapter
    converts it with `to_js(message, dict_converter=Object.fromEntries,
    default_converter=lambda v, convert, cache: js.BigInt(str(v.value)))`.
    """

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError(f"BigIntValue: expected an int, found {type(self.value).__name__}")


# --- value coercions (incoming) ----------------------------------------------------------------

U64_MAX = 2**64 - 1
_DECIMAL = re.compile(r"[0-9]{1,20}")


def is_absent(value: Any) -> bool:
    """`None`, or Pyodide's `jsnull` should an adapter let one through (falsy, not None)."""
    return value is None or type(value).__name__ == "JsNull"


def describe(value: Any) -> str:
    """A short name of a value's JavaScript-side type, for error messages."""
    if is_absent(value):
        return "null"
    if isinstance(value, Unreadable):
        return value.what
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "a Uint8Array"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def bytes_like(value: Any, field: str) -> Optional[bytes]:
    """`bytes` for a `Uint8Array` (bytes, bytearray, byte memoryview), None for anything else."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, memoryview):
        if value.itemsize != 1:
            raise InvalidRequest(field, f"expected a Uint8Array, found a typed array of {value.itemsize}-byte items")
        return value.tobytes()
    return None


def decode_base64(value: str, field: str) -> bytes:
    """Standard base64 with padding (what `btoa` and `Uint8Array.toBase64` produce)."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidRequest(field, f"not valid base64: {value[:60]!r}") from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def nat64_from_any(value: Any, field: str) -> int:
    """A non-negative 64-bit integer from a `bigint`, an integral number, or a decimal string."""
    if isinstance(value, bool):
        raise InvalidRequest(field, "expected a bigint, number or decimal string, found a boolean")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidRequest(field, f"expected a whole number of nanoseconds, found {value!r}")
        value = int(value)
    if isinstance(value, int):
        number = int(value)  # a plain int, also for Pyodide's JsBigInt (an int subclass)
    elif isinstance(value, str):
        number = nat64_from_decimal(value, field)
    else:
        raise InvalidRequest(field, f"expected a bigint, number or decimal string, found {describe(value)}")
    if number < 0:
        raise InvalidRequest(field, f"must not be negative, found {number}")
    if number > U64_MAX:
        raise InvalidRequest(field, f"{number} does not fit in 64 bits (at most {U64_MAX})")
    return number


def nat64_from_decimal(value: Any, field: str) -> int:
    """A non-negative 64-bit integer written as 1 to 20 decimal digits."""
    if not isinstance(value, str):
        raise InvalidRequest(field, f"expected a decimal string, found {describe(value)}")
    if not _DECIMAL.fullmatch(value):
        raise InvalidRequest(field, f"expected a decimal string of at most 20 digits, found {value[:40]!r}")
    number = int(value)
    if number > U64_MAX:
        raise InvalidRequest(field, f"{number} does not fit in 64 bits (at most {U64_MAX})")
    return number
