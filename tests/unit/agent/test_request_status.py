"""Reading an update's outcome from a (verified) certificate tree."""

from __future__ import annotations

import pytest

from ic import hash_tree
from ic.agent import RejectError, ResponseError, Status
from ic.agent.request_status import read_request_status

RID = bytes(range(32))


def tree(fields):
    return hash_tree.build_tree({b"request_status": {RID: fields}, b"time": b"\x01"})


def test_replied():
    status = read_request_status(tree({b"status": b"replied", b"reply": b"DIDL\x00\x00"}), RID)
    assert status.status is Status.REPLIED and status.outcome() == b"DIDL\x00\x00"


def test_rejected_with_leb128_code():
    fields = {b"status": b"rejected", b"reject_code": b"\x04", b"reject_message": b"no", b"error_code": b"IC0406"}
    status = read_request_status(tree(fields), RID)
    with pytest.raises(RejectError) as info:
        status.outcome(method="m", request_id=RID)
    assert (info.value.code, info.value.message, info.value.error_code, info.value.certified) == (4, "no", "IC0406", True)


@pytest.mark.parametrize("value", [b"received", b"processing"])
def test_pending(value):
    assert read_request_status(tree({b"status": value}), RID).pending


def test_absent_is_pending_unknown():
    status = read_request_status(hash_tree.build_tree({b"time": b"\x01"}), RID)
    assert status.status is Status.UNKNOWN and status.pending


def test_pruned_is_pending_unknown():
    full = tree({b"status": b"replied", b"reply": b"x"})
    witness = hash_tree.prune(full, [[b"time"]])
    assert read_request_status(witness, RID).status is Status.UNKNOWN


@pytest.mark.parametrize(
    "fields, message",
    [
        ({b"status": b"replied"}, "no reply"),
        ({b"status": b"rejected", b"reject_code": b"\x04"}, "reject_message is missing"),
        ({b"status": b"exploded"}, "unexpected status"),
        ({b"status": b"rejected", b"reject_code": b"\x84", b"reject_message": b"x"}, "LEB128"),
        ({b"status": {b"nested": b"x"}}, "subtree"),
    ],
)
def test_malformed(fields, message):
    with pytest.raises(ResponseError, match=message):
        read_request_status(tree(fields), RID)
