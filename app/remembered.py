"""Identities used in this browser, remembered for the next sign-in (pure).

Stored as JSON under one key of the page's storage, in a versioned format:
`{"version": 1, "anchors": [{"number": 10000, "lastUsedMs": 1700000000000, "name": "Alice",
"principals": {"<dapp origin>": "<principal text>"}}, ...]}`, most recently used first, at most
ten. `name` (optional) is the identity's name where the canister has one; `principals` (optional)
records the principal each dapp origin got, so a dapp's `autoSelectionPrincipal` can preselect the
identity behind it. A value this code cannot read (corrupt, or written by a newer version) is
never overwritten: the caller gets `writable=False` and keeps it. `forget` drops one identity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

STORAGE_KEY = "ii-remembered-anchors"
FORMAT_VERSION = 1
MAX_REMEMBERED = 10


MAX_PRINCIPALS = 20  # dapp origins remembered per identity
MAX_NAME_CHARS = 128  # the canister's limit on a name


@dataclass(frozen=True)
class RememberedAnchor:
    number: int
    last_used_ms: int
    principals: tuple[tuple[str, str], ...] = ()  # (dapp origin, principal text), newest first
    name: str | None = None


@dataclass(frozen=True)
class Remembered:
    anchors: tuple[RememberedAnchor, ...] = ()
    writable: bool = True
    problem: str | None = None


def parse_remembered(raw: str | None) -> Remembered:
    if raw is None or raw == "":
        return Remembered()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return Remembered(writable=False, problem=f"stored identities are not JSON: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        return Remembered(writable=False, problem="stored identities have no format version")
    if data["version"] != FORMAT_VERSION:
        return Remembered(writable=False,
                          problem=f"stored identities use format {data['version']}, this page reads {FORMAT_VERSION}")
    anchors = []
    for entry in data.get("anchors", []):
        if (isinstance(entry, dict) and isinstance(entry.get("number"), int) and entry["number"] >= 0
                and isinstance(entry.get("lastUsedMs"), int)):
            principals = entry.get("principals")
            pairs = tuple((o, p) for o, p in principals.items() if isinstance(o, str) and isinstance(p, str)
                          ) if isinstance(principals, dict) else ()
            name = entry.get("name")
            name = name[:MAX_NAME_CHARS] if isinstance(name, str) and name else None
            anchors.append(RememberedAnchor(entry["number"], entry["lastUsedMs"], pairs[:MAX_PRINCIPALS], name))
    anchors.sort(key=lambda a: a.last_used_ms, reverse=True)
    return Remembered(tuple(anchors[:MAX_REMEMBERED]))


def remember(current: Remembered, number: int, now_ms: int, *, origin: str | None = None,
             principal: str | None = None) -> Remembered:
    """`number` used now (for `origin`, which got `principal`): first in the list, no duplicate,
    at most ten kept."""
    previous = next((a for a in current.anchors if a.number == number), None)
    principals = previous.principals if previous else ()
    if origin is not None and principal is not None:
        principals = ((origin, principal), *[(o, p) for o, p in principals if o != origin])[:MAX_PRINCIPALS]
    others = [a for a in current.anchors if a.number != number]
    name = previous.name if previous else None
    anchors = (RememberedAnchor(number, now_ms, principals, name), *others)[:MAX_REMEMBERED]
    return Remembered(anchors, current.writable, current.problem)


def named(current: Remembered, number: int, name: str | None) -> Remembered:
    """`number`'s name as the canister has it now (None: it has none); the order is kept."""
    name = name[:MAX_NAME_CHARS] if name else None
    anchors = tuple(RememberedAnchor(a.number, a.last_used_ms, a.principals, name) if a.number == number else a
                    for a in current.anchors)
    return Remembered(anchors, current.writable, current.problem)


def names(current: Remembered) -> dict[int, str]:
    """The remembered identities that have a name."""
    return {a.number: a.name for a in current.anchors if a.name}


def anchor_for_principal(current: Remembered, origin: str, principal: str) -> int | None:
    """The remembered identity that gave `origin` this `principal` (autoSelectionPrincipal)."""
    for anchor in current.anchors:
        if (origin, principal) in anchor.principals:
            return anchor.number
    return None


def forget(current: Remembered, number: int) -> Remembered:
    return Remembered(tuple(a for a in current.anchors if a.number != number), current.writable, current.problem)


def _entry(anchor: RememberedAnchor) -> dict:
    entry: dict = {"number": anchor.number, "lastUsedMs": anchor.last_used_ms}
    if anchor.name:
        entry["name"] = anchor.name
    if anchor.principals:
        entry["principals"] = dict(anchor.principals)
    return entry


def serialize_remembered(remembered: Remembered) -> str:
    return json.dumps({"version": FORMAT_VERSION,
                       "anchors": [_entry(a) for a in remembered.anchors]}, separators=(",", ":"))
