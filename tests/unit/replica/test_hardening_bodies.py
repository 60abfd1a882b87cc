"""A large junk body is refused after a bounded scan (issue 11, finding 5).

Before: a 5 MB CBOR body of five million one-byte items was scanned to its end (about a second of
the event loop) before it was refused. Now the envelope decoder stops at `MAX_CBOR_ITEMS` items,
far more than any legal envelope holds, and names the limit.
"""

from __future__ import annotations

import pytest

from ic import cbor
from ic.errors import CborError
from replica.http.endpoints import MAX_CBOR_ITEMS

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"


def junk_array(total: int) -> bytes:
    n = total - 5
    return b"\x9a" + n.to_bytes(4, "big") + bytes(n)


@pytest.mark.parametrize("endpoint", ["v3/canister/%s/call", "v2/canister/%s/query", "v2/canister/%s/read_state"])
def test_five_million_tiny_items_are_refused_at_the_item_limit(client, endpoint):
    res = client.post("/api/" + endpoint % WHOAMI, junk_array(5 * 1024 * 1024 - 64))
    assert res.status == 400
    assert f"one more than the limit of {MAX_CBOR_ITEMS} data items" in res.text
    # the scan stopped where the limit was reached, not at the end of the body
    assert f"offset {MAX_CBOR_ITEMS + 4}" in res.text  # the array head (5 bytes) is item 1


def test_the_item_limit_counts_nested_items_and_map_values():
    nested = cbor.encode({"a": [[1, 2], [3, 4]], "b": {"c": 5}})
    assert cbor.decode(nested, max_items=10)["b"] == {"c": 5}
    with pytest.raises(CborError, match="limit of 9 data items"):
        cbor.decode(nested, max_items=9)


def test_a_large_byte_string_is_one_item():
    big = cbor.encode({"arg": bytes(3 * 1024 * 1024)})
    assert len(cbor.decode(big, max_items=2)["arg"]) == 3 * 1024 * 1024
