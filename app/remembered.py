"""Identities used in this browser, remembered for the next sign-in (pure).

Stored as JSON under one key of the page's storage, in a versioned format:
`{"version": 1, "anchors": [{"number": 10000, "lastUsedMs": 1700000000000}, ...]}`, most recently
used first, at most ten. A value this code cannot read (corrupt, or written by a newer version) is
never overwritten: the caller gets `writable=False` and keeps it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

STORAGE_KEY = "ii-remembered-anchors"
FORMAT_VERSION = 1
MAX_REMEMBERED = 10


@dataclass(frozen=True)
class RememberedAnchor:
    number: int
    last_used_ms: int


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
            anchors.append(RememberedAnchor(entry["number"], entry["lastUsedMs"]))
    anchors.sort(key=lambda a: a.last_used_ms, reverse=True)
    return Remembered(tuple(anchors[:MAX_REMEMBERED]))


def remember(current: Remembered, number: int, now_ms: int) -> Remembered:
    """`number` used now: first in the list, no duplicate, at most ten kept."""
    others = [a for a in current.anchors if a.number != number]
    anchors = (RememberedAnchor(number, now_ms), *others)[:MAX_REMEMBERED]
    return Remembered(anchors, current.writable, current.problem)


def forget(current: Remembered, number: int) -> Remembered:
    return Remembered(tuple(a for a in current.anchors if a.number != number), current.writable, current.problem)


def serialize_remembered(remembered: Remembered) -> str:
    return json.dumps({"version": FORMAT_VERSION,
                       "anchors": [{"number": a.number, "lastUsedMs": a.last_used_ms}
                                   for a in remembered.anchors]}, separators=(",", ":"))
