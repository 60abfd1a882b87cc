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


def test_a_name_is_kept_through_uses_and_written_only_when_there_is_one():
    from app.remembered import named, names

    current = remember(remember(Remembered(), 10000, 1), 10001, 2)
    current = named(current, 10000, "Alice")
    assert names(current) == {10000: "Alice"}
    again = parse_remembered(serialize_remembered(remember(current, 10000, 3)))
    assert again.anchors[0].name == "Alice" and again.anchors[1].name is None
    assert '"name"' not in serialize_remembered(named(again, 10000, None))
    assert parse_remembered('{"version":1,"anchors":[{"number":1,"lastUsedMs":1,"name":7}]}').anchors[0].name is None


def test_forgetting_keeps_the_others_in_order():
    current = remember(remember(remember(Remembered(), 1, 1), 2, 2), 3, 3)
    assert [a.number for a in forget(current, 2).anchors] == [3, 1]


def test_the_authorize_screen_shows_names_and_offers_to_forget():
    from app.ui.authorize import render_request

    markup = render_request("https://dapp.example", None, (10000, 10001), preselected=10001, names={10000: "Alice"})
    assert "Identity 10000 · Alice" in markup and "Forget Alice" in markup and "Forget identity 10001" in markup
    assert 'data-action="forget-10000"' in markup and 'data-action="forget-10001"' in markup
    assert markup.count("data-anchor-id=") == 2  # the forget buttons are not identity buttons
