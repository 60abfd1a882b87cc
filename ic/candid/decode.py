"""Binary decoding at an expected type (spec `Candid.md`, "Deserialisation" and "Decoding").

`decode(data, types)` reads the header (cached by its bytes, which are self-delimiting), gets the
compiled decoders for that header and those expected types (cached too), and runs them. Missing
`opt`/`null`/`reserved` arguments read as `None`; extra arguments are skipped but validated.

Untrusted input is bounded by `Limits`: declared lengths are checked against the bytes left before
anything is allocated, vectors are charged against a work budget (so `vec null` of length 2**60
fails at once), recursion through recursive types is capped, types with no finite value
(`type R = record { R }`) are refused, and Python's own recursion limit surfaces as a
`CandidLimitError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .decoders import Decoders
from .errors import CandidError, CandidLimitError
from .skip import Ctx, describe
from .typetable import Header, read_header
from .types import Type, is_nullish


@dataclass(frozen=True)
class Limits:
    """Bounds for decoding untrusted input; the defaults suit IC messages (at most a few MB)."""

    max_work: int = 4_000_000   # vector elements decoded or skipped, weighted by element size
    max_depth: int = 150        # nesting through recursive types
    max_nat_bytes: int = 1024   # LEB128 bytes of one nat/int (about 7000 bits)
    max_types: int = 10_000     # entries of one type table


DEFAULT_LIMITS = Limits()


def _missing(data, pos, ctx):
    return None, pos


class Plan:
    """Everything needed to decode messages with one header at one list of expected types."""

    __slots__ = ("end", "steps", "types")

    def __init__(self, header: Header, types: list[Type] | None) -> None:
        decs = Decoders(header)
        self.end = header.end
        self.types = types
        wire = header.args
        expected = wire if types is None else types
        steps = []
        for i, t in enumerate(expected):
            if i < len(wire):
                steps.append(decs.decoder(wire[i], t))
            elif is_nullish(t):
                steps.append(_missing)
            else:
                raise CandidError(f"argument {i} of type {describe(t)} is missing: the message"
                                  f" has {len(wire)} argument(s)")
        extra = [decs.skippers.skipper(t) for t in wire[len(expected):]]
        self.steps = (steps, extra)


_HEADERS: dict[bytes, Header] = {}
_PLANS: dict[tuple, Plan] = {}
_CACHE_SIZE = 256
_CACHEABLE_HEADER = 4096  # bytes; larger headers are parsed each time, never kept


def _header_for(data: bytes, limits: Limits) -> tuple[bytes, Header]:
    for key in reversed(tuple(_HEADERS)):  # a snapshot: other threads may add or evict
        if data.startswith(key):
            header = _HEADERS.get(key)
            if header is None:
                break
            if len(header.table) > limits.max_types:
                raise CandidLimitError(f"type table has {len(header.table)} entries; the limit"
                                       f" is {limits.max_types}")
            return key, header
    header = read_header(data, limits.max_types)
    key = data[:header.end]
    if header.end > _CACHEABLE_HEADER:
        return key, header
    if len(_HEADERS) >= _CACHE_SIZE:
        _HEADERS.pop(next(iter(tuple(_HEADERS))), None)
    _HEADERS[key] = header
    return key, header


def plan_for(data: bytes, types: list[Type] | None, limits: Limits) -> Plan:
    key, header = _header_for(data, limits)
    pkey = (key, None if types is None else tuple(map(id, types)), limits)
    plan = _PLANS.get(pkey)
    if plan is not None and (types is None or all(a is b for a, b in zip(plan.types, types))):
        return plan
    plan = Plan(header, None if types is None else list(types))
    if len(key) > _CACHEABLE_HEADER:
        return plan
    if len(_PLANS) >= _CACHE_SIZE:
        _PLANS.pop(next(iter(tuple(_PLANS))), None)
    _PLANS[pkey] = plan
    return plan


def decode(data: bytes, types: list[Type] | None = None, *, limits: Limits = DEFAULT_LIMITS) -> list:
    """Decode a Candid message; at `types` (coercing per the spec) or, if None, at its own types."""
    if data.__class__ is not bytes:
        data = bytes(data)
    try:
        plan = plan_for(data, types, limits)
        steps, extra = plan.steps
        ctx = Ctx(limits)
        pos = plan.end
        out = []
        for d in steps:
            v, pos = d(data, pos, ctx)
            out.append(v)
        for s in extra:
            pos = s(data, pos, ctx)
    except (IndexError, struct.error):
        raise CandidError(f"message truncated: input ends at byte {len(data)} inside a value") from None
    except RecursionError:
        raise CandidLimitError("type or value nested too deeply to decode") from None
    if pos != len(data):
        raise CandidError(f"{len(data) - pos} unexpected trailing byte(s) after the last value,"
                          f" at byte {pos}")
    return out
