"""The signature map: witnesses always reconstruct to the certified data; entries expire."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from ic import hash_tree
from replica.canisters.internet_identity.signature_map import (
    EMPTY_HASH,
    MAX_SIGS_TO_PRUNE,
    SIGNATURE_EXPIRATION_PERIOD_NS,
    SignatureMap,
    fork_hash,
    labeled_hash,
)

MINUTE = SIGNATURE_EXPIRATION_PERIOD_NS


def h(x: int) -> bytes:
    return hashlib.sha256(x.to_bytes(4, "big")).digest()


def test_empty_map_certifies_an_empty_sig_subtree():
    assert SignatureMap().certified_data() == fork_hash(EMPTY_HASH, labeled_hash(b"sig", EMPTY_HASH))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5), st.integers(0, 3 * MINUTE)), max_size=60))
def test_witnesses_match_certified_data(ops):
    sigs = SignatureMap()
    now = 0
    live: dict[tuple[bytes, bytes], int] = {}
    for seed, msg, dt in ops:
        now += dt
        sigs.add(h(seed), h(1000 + msg), now)
        live[(h(seed), h(1000 + msg))] = now + MINUTE
        certified = sigs.certified_data()
        for (s, m), expiry in live.items():
            witness = sigs.witness(s, m)
            if witness is not None:
                tree = hash_tree.decode_tree(witness)  # checks well-formedness (sorted labels)
                assert hash_tree.reconstruct(tree) == certified
                assert hash_tree.lookup_value(tree, [b"sig", s, m]) == b""
            else:
                assert expiry <= now  # only expired entries may be gone
        assert sigs.witness(h(999), h(999)) is None


def test_each_add_prunes_at_most_50_expired_entries():
    sigs = SignatureMap()
    for i in range(120):
        sigs.add(h(i), h(i), 0)
    sigs.add(h(500), h(500), MINUTE)
    assert len(sigs) == 120 - MAX_SIGS_TO_PRUNE + 1
    sigs.add(h(501), h(501), MINUTE)
    sigs.add(h(502), h(502), MINUTE)
    assert len(sigs) == 3


def test_re_adding_an_entry_extends_it():
    sigs = SignatureMap()
    sigs.add(h(1), h(1), 0)
    sigs.add(h(1), h(1), MINUTE // 2)
    sigs.add(h(2), h(2), MINUTE)  # would prune the first add, not the second
    assert sigs.expiration(h(1), h(1)) == MINUTE // 2 + MINUTE
