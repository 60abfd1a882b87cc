"""Remembered identities: versioned format, most recent first, at most ten, nothing lost."""

from __future__ import annotations

import json

from app.remembered import (
    MAX_REMEMBERED, Remembered, RememberedAnchor, forget, parse_remembered, remember,
    serialize_remembered,
)


def test_empty_storage():
    assert parse_remembered(None) == Remembered()
    assert parse_remembered("") == Remembered()


def test_round_trip_most_recent_first():
    state = Remembered()
    for i, number in enumerate([10000, 10001, 10002, 10001]):
        state = remember(state, number, 1000 + i)
    assert [a.number for a in state.anchors] == [10001, 10002, 10000]
    assert parse_remembered(serialize_remembered(state)) == state


def test_at_most_ten():
    state = Remembered()
    for number in range(10000, 10015):
        state = remember(state, number, number)
    assert len(state.anchors) == MAX_REMEMBERED
    assert state.anchors[0].number == 10014 and state.anchors[-1].number == 10005


def test_forget():
    state = remember(remember(Remembered(), 1, 1), 2, 2)
    assert forget(state, 1).anchors == (RememberedAnchor(2, 2),)


def test_unreadable_values_are_kept_not_overwritten():
    for raw, problem in [("{not json", "not JSON"), ('{"anchors": []}', "no format version"),
                         (json.dumps({"version": 2, "anchors": []}), "format 2")]:
        state = parse_remembered(raw)
        assert state.writable is False and problem in state.problem


def test_malformed_entries_are_skipped():
    raw = json.dumps({"version": 1, "anchors": [{"number": "x"}, {"number": 10000, "lastUsedMs": 5},
                                                  {"number": -1, "lastUsedMs": 9}, "junk"]})
    assert parse_remembered(raw).anchors == (RememberedAnchor(10000, 5),)


def test_principals_per_origin_select_the_identity():
    from app.remembered import anchor_for_principal

    state = remember(Remembered(), 10000, 1, origin="https://a.example", principal="aaaaa-aa")
    state = remember(state, 10001, 2, origin="https://a.example", principal="2vxsx-fae")
    state = remember(state, 10000, 3)  # used again without a dapp: keeps what it knew
    again = parse_remembered(serialize_remembered(state))
    assert again == state
    assert anchor_for_principal(again, "https://a.example", "aaaaa-aa") == 10000
    assert anchor_for_principal(again, "https://a.example", "2vxsx-fae") == 10001
    assert anchor_for_principal(again, "https://b.example", "aaaaa-aa") is None


def test_version_1_without_principals_still_reads():
    raw = json.dumps({"version": 1, "anchors": [{"number": 10000, "lastUsedMs": 5}]})
    assert parse_remembered(raw).anchors == (RememberedAnchor(10000, 5),)
